// One `import ATProtoOAuthTesting` gives a test everything it needs to exercise code built on
// the library without sockets or a real server: the core (with `InMemorySessionStore`, the
// reference store), the scripted transport and its helpers declared in this module, and the
// strict loopback dev network (`DevNetwork`) for tests that do want real HTTP.
@_exported import ATProtoDevServer
@_exported import ATProtoOAuth
