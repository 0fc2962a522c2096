/// Comparing a request with a grant by meaning, not spelling (R20): for `notGranted` and
/// for hints. The rules follow the reference implementation's `matches` of each permission.
extension ScopeSet {
    /// Whether this (granted) set allows everything `requested` asks for, possibly spread over
    /// several granted tokens: `repo:a.b.c?action=create` is granted by `repo:*`, and
    /// `repo?collection=a.b.c&collection=d.e.f` by `repo:a.b.c repo:d.e.f`.
    ///
    /// An `include:` scope only counts when the grant names it: which permissions a permission
    /// set expands to is defined by a Lexicon this library does not fetch (see
    /// `TokenResponse.validate` for how a login reports it). `.unrecognized` and other scopes
    /// compare by equality.
    public func grants(_ requested: OAuthScope) -> Bool {
        if contains(requested) { return true }
        switch requested.kind {
        case .repo(let asked):
            let granted = scopes.compactMap { if case .repo(let p) = $0.kind { p } else { nil } }
            return asked.collections.allSatisfy { collection in
                asked.actions.allSatisfy { action in
                    granted.contains { $0.actions.contains(action) && Self.covers($0.collections, collection) }
                }
            }
        case .rpc(let asked):
            let granted = scopes.compactMap { if case .rpc(let p) = $0.kind { p } else { nil } }
            return asked.methods.allSatisfy { method in
                granted.contains {
                    ($0.audience == "*" || $0.audience == asked.audience) && Self.covers($0.methods, method)
                }
            }
        case .blob(let asked):
            let granted = scopes.flatMap { scope -> [String] in
                if case .blob(let p) = scope.kind { return p.accept }
                return []
            }
            return asked.accept.allSatisfy { pattern in granted.contains { Self.accept($0, covers: pattern) } }
        case .account(let asked):
            return scopes.contains {
                guard case .account(let p) = $0.kind else { return false }
                return p.attribute == asked.attribute && (p.action == .manage || p.action == asked.action)
            }
        case .identity(let asked):
            return scopes.contains {
                guard case .identity(let p) = $0.kind else { return false }
                return p.attribute == .any || p.attribute == asked.attribute
            }
        case .atproto, .transition, .include, .unrecognized:
            return false
        }
    }

    /// Whether `granted` (NSIDs or `["*"]`) covers `value` (an NSID or `*`).
    private static func covers(_ granted: [String], _ value: String) -> Bool {
        granted.contains("*") || granted.contains(value)
    }

    /// `*/*` covers everything; `type/*` covers `type/…`; otherwise equal (lower-cased).
    private static func accept(_ granted: String, covers pattern: String) -> Bool {
        if granted == "*/*" || granted == pattern { return true }
        guard granted.hasSuffix("/*") else { return false }
        return pattern != "*/*" && pattern.hasPrefix(granted.dropLast())
    }
}
