/** A tiny cookie-jar client over fetch, for testing the app like curl -c/-b would. */
export class Client {
  private cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async request(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) headers.set(k, v);
    if (this.cookies.size) headers.set("Cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await fetch(new URL(path, this.baseUrl), { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  post(path: string, form: Record<string, string>) {
    return this.request(path, { method: "POST", body: new URLSearchParams(form) });
  }

  cookie(name: string) {
    return this.cookies.get(name);
  }
}

export const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;

/** A signed-up client, ready to call the API with its session cookie. */
export async function signedUpClient(baseUrl: string, tag: string) {
  const client = new Client(baseUrl);
  const email = uniqueEmail(tag);
  const password = "a long enough password";
  const response = await client.post("/signup", { email, password, confirmPassword: password });
  if (response.status !== 302) throw new Error(`sign-up failed with ${response.status}`);
  return Object.assign(client, { email });
}
