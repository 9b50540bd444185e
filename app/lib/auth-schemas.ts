import { z } from "zod";

const email = z
  .string({ required_error: "Enter your email address." })
  .trim()
  .max(254, "That email address is too long.")
  .email("Enter a valid email address, like name@example.com.");

export const LoginSchema = z.object({
  email,
  password: z.string({ required_error: "Enter your password." }).max(200, "That password is too long."),
  redirectTo: z.string().optional(),
});

export const SignupSchema = z
  .object({
    email,
    password: z
      .string({ required_error: "Choose a password." })
      .min(8, "Use at least 8 characters.")
      .max(200, "Use at most 200 characters."),
    confirmPassword: z.string({ required_error: "Repeat your password." }),
    redirectTo: z.string().optional(),
  })
  .refine((v) => v.password === v.confirmPassword, {
    path: ["confirmPassword"],
    message: "The two passwords do not match.",
  });
