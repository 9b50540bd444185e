import { Form } from "@remix-run/react";
import { formatBytes, type FormatKind, type MediaFormat } from "~/lib/formats";

const GROUPS: Array<{ kind: FormatKind; title: string }> = [
  { kind: "video+audio", title: "Video with sound" },
  { kind: "video", title: "Video only (no sound)" },
  { kind: "audio", title: "Audio only" },
];

const BADGE_STYLES: Record<string, string> = {
  "4K": "bg-violet-100 text-violet-900 dark:bg-violet-950 dark:text-violet-200",
  "1440p": "bg-indigo-100 text-indigo-900 dark:bg-indigo-950 dark:text-indigo-200",
  "1080p": "bg-sky-100 text-sky-900 dark:bg-sky-950 dark:text-sky-200",
  "720p": "bg-teal-100 text-teal-900 dark:bg-teal-950 dark:text-teal-200",
  Audio: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200",
};

function FormatRow({ format }: { format: MediaFormat }) {
  const size = formatBytes(format.filesize);
  return (
    <li className="flex items-center gap-3 px-4 py-3" data-testid="format" data-format-id={format.id}>
      <span className={`w-16 shrink-0 rounded-md px-2 py-1 text-center text-xs font-bold ${BADGE_STYLES[format.badge] ?? "bg-slate-100 text-slate-800 dark:bg-slate-800 dark:text-slate-200"}`}>
        {format.badge}
      </span>
      <span className="min-w-0 flex-1">
        <span className="block font-medium">
          {format.derived === "best" ? "Best quality · " : format.derived === "audio" ? "Sound only · " : ""}
          {format.label}
        </span>
        <span className="block text-xs text-slate-500 dark:text-slate-400">
          {[
            size ? `${format.filesizeIsEstimate ? "≈ " : ""}${size}` : "size unknown",
            format.delivery === "direct" ? "resumable download" : "converted while streaming",
          ]
            .filter(Boolean)
            .join(" · ")}
        </span>
      </span>
      <Form method="post" className="shrink-0">
        <input type="hidden" name="formatId" value={format.id} />
        <button
          type="submit"
          aria-label={`Download ${format.label}`}
          className="rounded-md bg-brand-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-brand-700"
        >
          Download
        </button>
      </Form>
    </li>
  );
}

/** Formats grouped the way people choose: with sound, picture only, sound only; the derived choices first. */
export function FormatList({ formats }: { formats: MediaFormat[] }) {
  const recommended = formats.filter((f) => f.derived);
  return (
    <div className="space-y-6">
      {recommended.length ? (
        <FormatGroup title="Recommended" formats={recommended} />
      ) : null}
      {GROUPS.map(({ kind, title }) => {
        const inGroup = formats.filter((f) => !f.derived && f.kind === kind);
        return inGroup.length ? <FormatGroup key={kind} title={title} formats={inGroup} /> : null;
      })}
    </div>
  );
}

function FormatGroup({ title, formats }: { title: string; formats: MediaFormat[] }) {
  return (
    <section className="space-y-2">
      <h2 className="text-sm font-semibold uppercase tracking-wide text-slate-500 dark:text-slate-400">{title}</h2>
      <ul className="divide-y divide-slate-200 overflow-hidden rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
        {formats.map((format) => (
          <FormatRow key={format.id} format={format} />
        ))}
      </ul>
    </section>
  );
}
