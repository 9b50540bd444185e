// Artillery helpers for tests/load-test-streaming.yml.

/** Polls of one analysis before a virtual user gives up on it (20 × 0.5 s think time ≈ 10 s). */
const MAX_POLLS = 20;

module.exports = {
  /**
   * Keep polling while the analysis is neither done nor failed, at most MAX_POLLS times.
   * The cap lives here because Artillery ignores a loop's `count` once it has `whileTrue`:
   * without it, an analysis stuck in the queue would keep its virtual user polling forever.
   */
  analysisPending(context, next) {
    const { status } = context.vars;
    context.vars.polls = (context.vars.polls ?? 0) + 1;
    return next(status !== "completed" && status !== "failed" && context.vars.polls < MAX_POLLS);
  },
};
