import { describe, expect, it } from "vitest";
import { classifyYtDlpError } from "./ytdlp.server";

const cases: Array<[string, string, string, boolean]> = [
  ["unsupported page", "ERROR: Unsupported URL: http://example.com/", "no_video", false],
  ["no formats", "ERROR: [generic] page: No video formats found!", "no_video", false],
  ["404", "ERROR: [generic] Unable to download webpage: HTTP Error 404: Not Found", "not_found", false],
  ["410", "ERROR: Unable to download webpage: HTTP Error 410: Gone", "not_found", false],
  ["403", "ERROR: Unable to download webpage: HTTP Error 403: Forbidden", "forbidden", false],
  ["401", "ERROR: HTTP Error 401: Unauthorized", "forbidden", false],
  ["429", "ERROR: Unable to download webpage: HTTP Error 429: Too Many Requests", "upstream_rate_limited", true],
  ["502", "ERROR: Unable to download webpage: HTTP Error 502: Bad Gateway", "upstream_error", true],
  ["private", "ERROR: [youtube] abc: Private video. Sign in if you've been granted access", "forbidden", false],
  ["removed", "ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader", "unavailable", false],
  ["DRM", "ERROR: [foo] abc: This video is DRM protected", "drm", false],
  ["timeout", "ERROR: Unable to download webpage: The read operation timed out", "timeout", true],
  ["DNS", "ERROR: Unable to download webpage: <urlopen error [Errno -2] Name or service not known>", "unresolvable_host", true],
  ["refused", "ERROR: Unable to download webpage: <urlopen error [Errno 111] Connection refused>", "network", true],
];

describe("classifyYtDlpError", () => {
  it.each(cases)("%s", (_name, stderr, code, retryable) => {
    const error = classifyYtDlpError(stderr);
    expect(error).toMatchObject({ code, retryable });
    expect(error.message).not.toMatch(/ERROR|http:\/\//);
  });

  it("reads the last ERROR line, not warnings or earlier errors", () => {
    const stderr = [
      "WARNING: [generic] Falling back on generic information extractor",
      "ERROR: HTTP Error 404: Not Found",
      "ERROR: Unsupported URL: http://x/",
    ].join("\n");
    expect(classifyYtDlpError(stderr).code).toBe("no_video");
  });

  it("falls back to the last line when there is no ERROR line, and to a retryable extractor error", () => {
    expect(classifyYtDlpError("Traceback …\nsocket.timeout: timed out").code).toBe("timeout");
    expect(classifyYtDlpError("something nobody expected")).toMatchObject({ code: "extractor_error", retryable: true });
    expect(classifyYtDlpError("")).toMatchObject({ code: "extractor_error", retryable: true });
  });
});
