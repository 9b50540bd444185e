/** Download file names, shared by the stream route (Content-Disposition) and the browser's download manager. */

/** A file name safe for every browser: no control characters, quotes or path separators. */
export function downloadFileName(title: string, ext: string) {
  const base = title
    .normalize("NFC")
    .replace(/[\u0000-\u001f\u007f"\\/:*?<>|]+/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 150)
    .replace(/[. ]+$/, "");
  return `${base || "video"}.${ext}`;
}

/** For clients that ignore `filename*`: "Tải video – thử.mp4" → "Tai video - thu.mp4", not "T?i video ? th?.mp4". */
export function asciiFallback(name: string) {
  return name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[đĐ]/g, (c) => (c === "đ" ? "d" : "D"))
    .replace(/[\u2013\u2014]/g, "-")
    .replace(/[^\x20-\x7e]/g, "_");
}
