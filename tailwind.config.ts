import type { Config } from "tailwindcss";

export default {
  content: ["./app/**/*.{ts,tsx}"],
  // Dark follows the system unless the page is forced light (<html class="light">), or forced dark (class "dark").
  darkMode: ["variant", ["@media (prefers-color-scheme: dark) { &:not(.light *) }", "&:is(.dark *)"]],
  theme: {
    extend: {
      colors: {
        brand: {
          50: "#fff1f2",
          100: "#ffe4e6",
          // Light enough to read on the dark theme's slate-900/950 (WCAG AA).
          300: "#fda4af",
          400: "#fb7185",
          500: "#e11d48",
          600: "#be123c",
          700: "#9f1239",
        },
      },
    },
  },
  plugins: [],
} satisfies Config;
