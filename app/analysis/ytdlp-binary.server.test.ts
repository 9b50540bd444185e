import { describe, expect, it } from "vitest";
import { ageInDays, releaseDate } from "./ytdlp-binary.server";

describe("yt-dlp release age", () => {
  it("reads the release day from stable and nightly versions", () => {
    expect(releaseDate("2023.03.04")?.toISOString()).toBe("2023-03-04T00:00:00.000Z");
    expect(releaseDate("2025.09.26.232900\n")?.toISOString()).toBe("2025-09-26T00:00:00.000Z");
    expect(releaseDate("unknown")).toBeNull();
  });

  it("counts whole days, never negative", () => {
    const released = releaseDate("2023.03.04")!;
    expect(ageInDays(released, new Date("2023-06-02T12:00:00Z"))).toBe(90);
    expect(ageInDays(released, new Date("2023-03-03T00:00:00Z"))).toBe(0);
  });
});
