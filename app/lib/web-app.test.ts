import { describe, expect, it } from "vitest";
import { translator } from "~/lib/i18n";
import { sharedUrl, webAppManifest } from "./web-app";

const share = (fields: Record<string, string>) => sharedUrl(new URLSearchParams(fields));

describe("sharedUrl", () => {
  it("takes the url field when it is an http(s) link", () => {
    expect(share({ url: " https://video.example/watch?v=1 ", text: "https://other.example/x" })).toBe("https://video.example/watch?v=1");
  });

  it("finds the first link in the text, then the title, without the sentence's punctuation", () => {
    expect(share({ text: "Look at this (https://video.example/clip/42). So good!" })).toBe("https://video.example/clip/42");
    expect(share({ url: "", text: "no link here", title: "Clip https://video.example/t?a=1&b=2, shared" })).toBe("https://video.example/t?a=1&b=2");
    expect(share({ url: "not a link", text: "ftp://files.example/a https://video.example/b" })).toBe("https://video.example/b");
  });

  it("is null without a usable link", () => {
    expect(share({})).toBeNull();
    expect(share({ text: "just words", title: "and a title" })).toBeNull();
    expect(share({ url: "javascript:alert(1)", text: "http://localhost/x" })).toBeNull();
  });
});

describe("webAppManifest", () => {
  it("names the app in the visitor's language and keeps everything else the same", () => {
    const en = webAppManifest("en", translator("en"));
    const vi = webAppManifest("vi", translator("vi"));
    expect(en.name).not.toBe(vi.name);
    expect({ ...en, name: "", short_name: "", description: "", lang: "" }).toEqual({ ...vi, name: "", short_name: "", description: "", lang: "" });
    expect(en.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(["192x192", "512x512"]));
    expect(en.share_target).toEqual({ action: "/share", method: "GET", params: { title: "title", text: "text", url: "url" } });
  });
});
