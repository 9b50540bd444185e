import { z } from "zod";

/** Messages are catalogue keys (app/lib/i18n): forms show them in the visitor's language. */
const email = z.string({ required_error: "validation.email.required" }).trim().max(254, "validation.email.tooLong").email("validation.email.invalid");

export const LoginSchema = z.object({
  email,
  password: z.string({ required_error: "validation.password.required" }).max(200, "validation.password.tooLong"),
  redirectTo: z.string().optional(),
});

export const SignupSchema = z
  .object({
    email,
    password: z.string({ required_error: "validation.password.choose" }).min(8, "validation.password.min").max(200, "validation.password.max"),
    confirmPassword: z.string({ required_error: "validation.password.repeat" }),
    redirectTo: z.string().optional(),
  })
  .refine((v) => v.password === v.confirmPassword, {
    path: ["confirmPassword"],
    message: "validation.password.mismatch",
  });
