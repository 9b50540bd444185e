/** Download file names, shared by the stream route (Content-Disposition) and the browser's download manager. */

const MAX_BASE_LENGTH = 150;

/**
 * The longest prefix of whole graphemes within `max` UTF-16 units: an emoji,
 * a flag or a letter with its combining marks is kept whole or left out,
 * never split (a lone surrogate is not valid UTF-8).
 */
export function cutGraphemes(text: string, max: number) {
  if (text.length <= max) return text;
  let end = 0;
  for (const { segment, index } of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)) {
    if (index + segment.length > max) break;
    end = index + segment.length;
  }
  return text.slice(0, end);
}

/** A file name safe for every browser: no control characters, quotes or path separators. */
export function downloadFileName(title: string, ext: string) {
  const cleaned = title
    .normalize("NFC")
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
    .replace(/[\u0000-\u001f\u007f"\\/:*?<>|]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  const base = cutGraphemes(cleaned, MAX_BASE_LENGTH).replace(/[. ]+$/, "");
  return `${base || "video"}.${ext}`;
}

/**
 * A name not yet in `taken` (compared without case, as Windows and macOS do):
 * "Tập một.mp4", then "Tập một (2).mp4"… The name is added to `taken`.
 */
export function uniqueFileName(taken: Set<string>, title: string, ext: string) {
  const first = downloadFileName(title, ext);
  let name = first;
  for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${first.slice(0, -(ext.length + 1))} (${n}).${ext}`;
  taken.add(name.toLowerCase());
  return name;
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
