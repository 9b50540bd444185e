// Artillery helpers for tests/load-test-streaming.yml.
module.exports = {
  /** Keep polling while the analysis is neither done nor failed. */
  analysisPending(context, next) {
    const status = context.vars.status;
    return next(status !== "completed" && status !== "failed");
  },
};
