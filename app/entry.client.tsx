import { RemixBrowser } from "@remix-run/react";
import { startTransition, StrictMode } from "react";
import { hydrateRoot } from "react-dom/client";

startTransition(() => {
  hydrateRoot(
    document,
    <StrictMode>
      <RemixBrowser />
    </StrictMode>,
  );
});

// Installable app and offline page (public/sw.js); the site works the same without it.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch((err: unknown) => console.warn("service worker not registered", err));
}
