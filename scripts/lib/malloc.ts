/**
 * glibc malloc settings for the app's processes (ADR: direct-path throughput).
 * Every 64 KiB a socket reads is a fresh malloc'd buffer; with glibc's
 * default dynamic trim threshold, freed buffers at the top of the heap go back
 * to the kernel and the next ones fault their pages in again: measured 63,000
 * minor page faults and twice the bare proxy's kernel time per 200 MB on the
 * direct path, ~400 faults with these. Fixed thresholds keep up to 64 MiB of
 * freed memory for reuse. Set where the processes start (scripts/run.ts, the
 * tests' and benchmarks' startApp, the Dockerfile); a value already in the
 * environment wins. The tools (yt-dlp, ffmpeg) are started without it (app/platform/tools.server.ts).
 */
export const GLIBC_TUNABLES = "glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=4194304";
