#!/usr/bin/env bash
# End-to-end smoke test of a running instance, with curl as the only client:
#   health → sign up → log in → analyse → wait → link → stream (sha256) → refresh → list → revoke.
#
#   scripts/test-streaming.sh BASE_URL MEDIA_URL
#
# MEDIA_URL is a direct video file the instance may reach (a public one, or a local fixture when
# the instance lists it in EGRESS_ALLOW, e.g. EGRESS_ALLOW=127.0.0.1:8080); the streamed copy must hash the same as a
# download straight from MEDIA_URL. Exits non-zero at the first failure, saying which step.
set -euo pipefail

BASE_URL="${1:?usage: scripts/test-streaming.sh BASE_URL MEDIA_URL}"
MEDIA_URL="${2:?usage: scripts/test-streaming.sh BASE_URL MEDIA_URL}"
BASE_URL="${BASE_URL%/}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
jar="$work/cookies"
passed=0

fail() { echo "FAIL: $*" >&2; echo "$passed passed, 1 failed"; exit 1; }
ok() { passed=$((passed + 1)); echo "ok $passed - $*"; }
# field FILE PATH: a value from a JSON file, by dotted path (arrays by index), "" when absent.
field() {
  node -e '
    const [file, path] = process.argv.slice(1);
    let v = JSON.parse(require("fs").readFileSync(file, "utf8"));
    for (const k of path.split(".")) v = v == null ? undefined : v[k];
    process.stdout.write(v == null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  ' "$1" "$2"
}
# request METHOD PATH [curl args…]: the status code; the body lands in $work/body.
request() {
  local method="$1" path="$2"
  shift 2
  curl -sS -o "$work/body" -w '%{http_code}' -X "$method" -b "$jar" -c "$jar" "$@" "$BASE_URL$path"
}
json_post() { request POST "$1" -H 'Content-Type: application/json' --data "$2"; }

status=$(request GET /api/monitoring/health)
[[ $status == 200 ]] || fail "health answered $status: $(cat "$work/body")"
health=$(field "$work/body" status)
[[ $health == ok || $health == degraded ]] || fail "health is $health"
ok "health is $health"

email="smoke-$(date +%s)-$RANDOM@example.com"
password="smoke-test-password-$RANDOM"
status=$(request POST /signup --data-urlencode "email=$email" --data-urlencode "password=$password" --data-urlencode "confirmPassword=$password")
[[ $status == 302 ]] || fail "sign-up answered $status"
request POST /logout >/dev/null
status=$(request POST /login --data-urlencode "email=$email" --data-urlencode "password=$password")
[[ $status == 302 ]] || fail "log-in answered $status"
ok "signed up and logged in as $email"

status=$(json_post /api/streaming/analyze "{\"url\":\"$MEDIA_URL\"}")
[[ $status == 202 || $status == 200 ]] || fail "analyse answered $status: $(cat "$work/body")"
request_id=$(field "$work/body" requestId)
for _ in $(seq 1 120); do
  status=$(request GET "/api/streaming/analyze/$request_id")
  state=$(field "$work/body" status)
  [[ $state == completed ]] && break
  [[ $state == failed ]] && fail "analysis failed: $(field "$work/body" error.message)"
  sleep 0.5
done
[[ $state == completed ]] || fail "analysis still $state after 60 s"
format_id=$(node -e '
  const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const f = v.result.formats.find((f) => !f.derived && f.delivery === "direct") ?? v.result.formats[0];
  process.stdout.write(f.id);
' "$work/body")
ok "analysed: \"$(field "$work/body" result.title)\", format $format_id"

status=$(json_post /api/streaming/token "{\"requestId\":\"$request_id\",\"formatId\":\"$format_id\"}")
[[ $status == 201 ]] || fail "token answered $status: $(cat "$work/body")"
token=$(field "$work/body" token)
stream_url=$(field "$work/body" streamUrl)
ok "link created, expires $(field "$work/body" expiresAt)"

status=$(curl -sS -o "$work/streamed" -w '%{http_code}' "$BASE_URL$stream_url")
[[ $status == 200 ]] || fail "stream answered $status"
curl -sS -o "$work/original" "$MEDIA_URL" || fail "could not fetch $MEDIA_URL directly"
streamed_sha=$(sha256sum "$work/streamed" | cut -d' ' -f1)
original_sha=$(sha256sum "$work/original" | cut -d' ' -f1)
[[ $streamed_sha == "$original_sha" ]] || fail "streamed sha256 $streamed_sha differs from the original's $original_sha"
ok "streamed $(stat -c %s "$work/streamed") bytes, sha256 $streamed_sha matches"

status=$(request POST "/api/streaming/token/$token/refresh")
[[ $status == 201 ]] || fail "refresh answered $status: $(cat "$work/body")"
new_token=$(field "$work/body" token)
new_id=$(field "$work/body" tokenId)
old_status=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE_URL$stream_url")
[[ $old_status == 410 ]] || fail "the refreshed-away link answered $old_status, not 410"
ok "refreshed: new link, the old one answers 410"

status=$(request GET /api/streaming/tokens)
[[ $status == 200 ]] || fail "list answered $status"
grep -q "$new_id" "$work/body" || fail "the new link is not listed"
ok "listed the active link"

status=$(request DELETE "/api/streaming/token/$new_token")
[[ $status == 204 ]] || fail "revoke answered $status"
revoked_status=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE_URL/api/streaming/stream/$new_token")
[[ $revoked_status == 410 ]] || fail "the revoked link answered $revoked_status, not 410"
request GET /api/streaming/tokens >/dev/null
! grep -q "$new_id" "$work/body" || fail "the revoked link is still listed"
ok "revoked: the link answers 410 and is no longer listed"

echo "$passed passed, 0 failed"
