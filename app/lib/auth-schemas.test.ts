import { describe, expect, it } from "vitest";
import { LoginSchema, SignupSchema } from "./auth-schemas";
import { translate } from "./i18n";

describe("SignupSchema", () => {
  const valid = { email: " Name@Example.com ", password: "long enough", confirmPassword: "long enough" };

  it("accepts a valid sign-up and trims the email", () => {
    expect(SignupSchema.parse(valid).email).toBe("Name@Example.com");
  });

  it("explains each problem on its own field", () => {
    const result = SignupSchema.safeParse({ email: "nope", password: "short", confirmPassword: "other" });
    expect(result.success).toBe(false);
    const fields = result.error!.flatten().fieldErrors;
    expect(translate("en", fields.email![0])).toMatch(/valid email/);
    expect(translate("en", fields.password![0])).toMatch(/at least 8/);
    expect(translate("vi", fields.password![0])).toBe("Dùng ít nhất 8 ký tự.");
  });

  it("flags mismatched passwords on confirmPassword", () => {
    const result = SignupSchema.safeParse({ ...valid, confirmPassword: "different!" });
    expect(translate("en", result.error!.flatten().fieldErrors.confirmPassword![0])).toMatch(/do not match/);
  });
});

describe("LoginSchema", () => {
  it("requires both fields", () => {
    const result = LoginSchema.safeParse({});
    const fields = result.error!.flatten().fieldErrors;
    expect(fields.email).toBeDefined();
    expect(fields.password).toBeDefined();
  });
});
