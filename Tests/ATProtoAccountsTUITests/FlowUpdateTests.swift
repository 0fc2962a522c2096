import ATProtoOAuth
import Foundation
import Testing

@testable import ATProtoAccountsTUI

@Suite("Discovery and login pages: keys and progress → model and effects")
struct FlowUpdateTests {
    /// The inspector after `d`, `bob.test`, Enter.
    func discovering() -> Model {
        run(Sample.model(), keys: [.char("d")] + typing("bob.test") + [.enter]).0
    }

    @Test("d opens the inspector prompt prefilled with the selected handle; Enter starts discovery")
    func startDiscovery() {
        let (prompting, _) = run(Sample.model(), keys: [.char("j"), .char("d")])
        #expect(prompting.screen == .discovery)
        #expect(prompting.prompt == Prompt(purpose: .discover, text: "bob.test", pristine: true))
        let (running, effects) = run(prompting, keys: [.enter])
        #expect(effects == [.discover("bob.test")])
        #expect(running.discovery.isRunning)
        #expect(running.discovery.input == "bob.test")
        // Esc on an untouched prompt goes back to the accounts.
        #expect(run(prompting, keys: [.escape]).0.screen == .accounts)
    }

    @Test("steps are upserted by name, checks appended, finished stops the spinner")
    func progress() {
        let steps = Sample.finishedSteps
        let (model, _) = run(
            discovering(),
            [
                .discovery(.step(Sample.step("resolve-handle", .running))),
                .discovery(.step(steps[0])),
                .discovery(.step(steps[1])),
                .discovery(.checks(Array(Sample.checks.prefix(2)))),
                .discovery(.checks(Array(Sample.checks.dropFirst(2)))),
                .discovery(.finished(.success("bob.test → did:plc:4b7n… → https://auth.bob.test"))),
            ])
        #expect(model.discovery.steps == [steps[0], steps[1]])
        #expect(model.discovery.checks == Sample.checks)
        #expect(!model.discovery.isRunning)
        #expect(model.discovery.summary == "bob.test → did:plc:4b7n… → https://auth.bob.test")

        let failure = TUIServiceError("bob.test: no DID found (R2)", hint: "check the handle's DNS TXT record")
        let (failed, _) = run(discovering(), [.discovery(.finished(.failure(failure)))])
        #expect(failed.discovery.error == failure)
        #expect(failed.banner == Banner(failure))
    }

    @Test("Enter on a step opens its raw document; j/k/PgDn/g/G scroll it; Esc closes it")
    func document() {
        var finished = discovering()
        for step in Sample.finishedSteps { finished = update(finished, .discovery(.step(step))).0 }
        let (noDocument, _) = run(finished, keys: [.enter])
        #expect(noDocument.discovery.document == nil)
        #expect(noDocument.status == "resolve-handle has no document")

        let (open, _) = run(finished, keys: [.char("j"), .enter])
        let lines = Sample.didDocument.prettyPrinted().split(separator: "\n").map(String.init)
        #expect(open.discovery.document?.lines == lines)
        #expect(open.discovery.document?.title.hasPrefix("resolve-did · https://plc.test/") == true)

        // A short terminal so the document needs scrolling.
        let short = update(open, .resized(rows: 8, cols: 60)).0
        let page = Layout.documentHeight(rows: 8)
        let maxScroll = lines.count - page
        #expect(run(short, keys: [.char("j")]).0.discovery.document?.scroll == 1)
        #expect(run(short, keys: [.char("j"), .char("k"), .char("k")]).0.discovery.document?.scroll == 0)
        #expect(run(short, keys: [.pageDown]).0.discovery.document?.scroll == min(page, maxScroll))
        #expect(run(short, keys: [.char("G")]).0.discovery.document?.scroll == maxScroll)
        #expect(run(short, keys: [.char("G"), .char("g")]).0.discovery.document?.scroll == 0)
        #expect(
            run(short, keys: [.pageDown, .pageDown, .pageDown, .pageDown]).0.discovery.document?.scroll == maxScroll)
        let (copied, effects) = run(short, keys: [.char("y")])
        #expect(effects == [.copyToClipboard(lines.joined(separator: "\n"))])
        #expect(copied.discovery.document != nil)
        let (closed, _) = run(short, keys: [.escape])
        #expect(closed.discovery.document == nil)
        #expect(closed.screen == .discovery)
    }

    @Test("j/k select steps then checks in the inspector")
    func selectItems() {
        var model = discovering()
        for step in Sample.finishedSteps { model = update(model, .discovery(.step(step))).0 }
        model = update(model, .discovery(.checks(Sample.checks))).0
        #expect(run(model, keys: [.char("j"), .down]).0.discovery.selection == 2)
        #expect(run(model, keys: [.char("G")]).0.discovery.selection == 8)
        #expect(run(model, keys: [.char("G"), .char("k"), .up]).0.discovery.selection == 6)
        #expect(run(model, keys: [.end, .home]).0.discovery.selection == 0)
        #expect(run(model, keys: [.char("G"), .enter]).0.status == "Profile checks have no document — select a step")
    }

    @Test("Esc leaves the inspector and cancels a running discovery; stragglers are ignored")
    func leaveDiscovery() {
        let (left, effects) = run(discovering(), keys: [.escape])
        #expect(effects == [.cancelDiscovery])
        #expect(left.screen == .accounts)
        let (after, _) = run(left, [.discovery(.step(Sample.finishedSteps[0]))])
        #expect(after.discovery.steps.isEmpty)
        // d inside the inspector starts a new lookup, cancelling the running one.
        let (again, cancelled) = run(discovering(), keys: [.char("d")])
        #expect(cancelled == [.cancelDiscovery])
        #expect(again.prompt?.purpose == .discover)
        let (next, started) = run(again, keys: typing("carol.test") + [.enter])
        #expect(started == [.discover("carol.test")])
        #expect(next.discovery.input == "carol.test")
    }

    /// The login page after `a`, `alice.test`, Enter.
    func loggingIn() -> Model {
        run(Sample.model([]), keys: [.char("a")] + typing("alice.test") + [.enter]).0
    }

    @Test("login progress: steps, listener, URL; then the waiting state")
    func loginProgress() {
        let (model, _) = run(
            loggingIn(),
            [
                .login(.step(Sample.step("resolve-handle", .ok, ms: 10))),
                .login(.listening(address: "http://127.0.0.1:54321/callback")),
                .login(.authorizationURL(Sample.authorizationURL)),
            ])
        #expect(model.login.steps.map(\.name) == ["resolve-handle"])
        #expect(model.login.listenAddress == "http://127.0.0.1:54321/callback")
        #expect(model.login.isWaitingForApproval)
    }

    @Test("o opens the authorization URL again; y copies it with OSC 52")
    func openAndCopy() {
        #expect(run(loggingIn(), keys: [.char("o"), .char("y")]).1.isEmpty)  // no URL yet
        let (waiting, _) = run(loggingIn(), [.login(.authorizationURL(Sample.authorizationURL))])
        #expect(run(waiting, keys: [.char("o")]).1 == [.openURL(Sample.authorizationURL)])
        let (copied, effects) = run(waiting, keys: [.char("y")])
        #expect(effects == [.copyToClipboard(Sample.authorizationURL.absoluteString)])
        #expect(copied.status == "Copied the authorization URL to the clipboard")
    }

    @Test("Esc cancels the login (closing the listener) and ignores its late events")
    func cancelLogin() {
        let (cancelled, effects) = run(loggingIn(), keys: [.escape])
        #expect(effects == [.cancelLogin])
        #expect(cancelled.screen == .accounts)
        #expect(!cancelled.login.isRunning)
        let (after, none) = run(cancelled, [.login(.finished(.success(Sample.alice)))])
        #expect(none.isEmpty)
        #expect(after.accounts.isEmpty)
    }

    @Test("a finished login shows the account selected on the accounts page and reloads the store")
    func loginSucceeds() {
        let start = run(Sample.model([Sample.bob, Sample.carol]), keys: [.char("a"), .enter]).0
        let (done, effects) = run(start, [.login(.finished(.success(Sample.alice)))])
        #expect(effects == [.loadAccounts])
        #expect(done.screen == .accounts)
        #expect(done.selectedAccount == Sample.alice)
        #expect(done.status == "Logged in as alice.test")
    }

    @Test("a failed login stays on the page with the error banner; L tries again")
    func loginFails() {
        let failure = TUIServiceError(
            "authorization server refused PAR: invalid_client (R14)", hint: "check --client-id")
        let (failed, _) = run(loggingIn(), [.login(.finished(.failure(failure)))])
        #expect(failed.screen == .login)
        #expect(failed.banner == Banner(failure))
        #expect(failed.login.error == failure)
        let (retry, effects) = run(failed, keys: [.char("L")])
        #expect(effects == [.login("alice.test", reuse: nil)])
        #expect(retry.banner == nil)
        #expect(run(failed, keys: [.escape]).0.screen == .accounts)
        #expect(run(failed, keys: [.escape]).1.isEmpty)
    }
}
