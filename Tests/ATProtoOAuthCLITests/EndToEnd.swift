import Testing

/// The end-to-end suites drive the built `atproto-oauth` binary against
/// `atproto-oauth dev-server` subprocesses. They run one at a time: the reliability tests
/// measure processes racing each other, and the machine is small.
///
/// Each test starts its own dev network (with the flags it needs, e.g. `--access-ttl 1`)
/// and a private store in a temporary directory, and always stops and removes both.
@Suite("atproto-oauth end to end (built binary + dev network)", .serialized)
struct EndToEnd {}
