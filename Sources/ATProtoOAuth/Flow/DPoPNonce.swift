import Foundation

/// DPoP nonce handling (RFC 9449 §8–9, R23): read nonces from every response and recognise
/// the two ways servers ask for one, so the caller can retry once.
public enum DPoPNonce {
    /// The `DPoP-Nonce` header value, trimmed; `nil` when absent or empty.
    public static func fromResponse(_ response: HTTPResponse) -> String? {
        guard let value = response.header("DPoP-Nonce")?.trimmingCharacters(in: .whitespaces), !value.isEmpty
        else { return nil }
        return value
    }

    /// An authorization server asks for a nonce with HTTP 400 and `{"error":"use_dpop_nonce"}`.
    public static func isAuthorizationServerChallenge(_ response: HTTPResponse) -> Bool {
        response.status == 400 && OAuthErrorResponse.parse(response)?.error == "use_dpop_nonce"
    }

    /// A resource server asks with HTTP 401 and `WWW-Authenticate: DPoP error="use_dpop_nonce"`.
    public static func isResourceServerChallenge(_ response: HTTPResponse) -> Bool {
        response.status == 401 && resourceServerError(response) == "use_dpop_nonce"
    }

    /// The `error` parameter of the `DPoP` challenge in `WWW-Authenticate` (e.g.
    /// `invalid_token`, `use_dpop_nonce`), from any of the header's occurrences.
    public static func resourceServerError(_ response: HTTPResponse) -> String? {
        for header in response.headers where header.name.caseInsensitiveCompare("WWW-Authenticate") == .orderedSame {
            for challenge in WWWAuthenticate.parse(header.value)
            where challenge.scheme.caseInsensitiveCompare("DPoP") == .orderedSame {
                if let error = challenge.parameters["error"] { return error }
            }
        }
        return nil
    }
}

/// A minimal RFC 9110 §11.6.1 `WWW-Authenticate` parser: challenges (scheme + auth-params,
/// quoted strings with backslash escapes). token68 challenges are kept without parameters.
public enum WWWAuthenticate {
    public struct Challenge: Sendable, Hashable {
        public let scheme: String
        /// Parameter names lower-cased; the first occurrence wins.
        public let parameters: [String: String]
    }

    public static func parse(_ header: String) -> [Challenge] {
        let chars = Array(header.unicodeScalars)
        var index = 0
        var challenges: [(String, [String: String])] = []

        func skip(_ set: Set<Unicode.Scalar>) { while index < chars.count, set.contains(chars[index]) { index += 1 } }
        func isTokenChar(_ c: Unicode.Scalar) -> Bool {
            !(c == " " || c == "\t" || c == "," || c == "=" || c == "\"")
        }
        func readToken() -> String {
            var out = String.UnicodeScalarView()
            while index < chars.count, isTokenChar(chars[index]) {
                out.append(chars[index])
                index += 1
            }
            return String(out)
        }
        func readValue() -> String {
            guard index < chars.count, chars[index] == "\"" else { return readToken() }
            index += 1
            var out = String.UnicodeScalarView()
            while index < chars.count, chars[index] != "\"" {
                if chars[index] == "\\", index + 1 < chars.count { index += 1 }
                out.append(chars[index])
                index += 1
            }
            if index < chars.count { index += 1 }  // closing quote
            return String(out)
        }

        while index < chars.count {
            skip([" ", "\t", ","])
            guard index < chars.count else { break }
            let token = readToken()
            if token.isEmpty {  // stray `=` or quote: skip one character
                index += 1
                continue
            }
            let afterToken = index
            skip([" ", "\t"])
            if index < chars.count, chars[index] == "=", !challenges.isEmpty {
                // `name=value` param, unless this is token68 padding (`abc==`).
                index += 1
                skip([" ", "\t"])
                if index < chars.count, chars[index] == "=" || chars[index] == "," {
                    skip(["="])
                    continue
                }
                let value = readValue()
                let name = token.lowercased()
                if challenges[challenges.count - 1].1[name] == nil { challenges[challenges.count - 1].1[name] = value }
            } else {
                index = afterToken
                challenges.append((token, [:]))
            }
        }
        return challenges.map { Challenge(scheme: $0.0, parameters: $0.1) }
    }
}
