import Foundation
import Testing

@testable import ATProtoAccountsTUI

@Suite("Accounts page: keys → model and effects")
struct AccountsUpdateTests {
    @Test("j/k and the arrows move the selection and stop at the ends")
    func moveSelection() {
        let model = Sample.model()
        #expect(run(model, keys: [.char("j")]).0.selection == 1)
        #expect(run(model, keys: [.down, .down]).0.selection == 2)
        #expect(run(model, keys: [.down, .down, .down, .down]).0.selection == 2)
        #expect(run(model, keys: [.char("j"), .char("j"), .char("k")]).0.selection == 1)
        #expect(run(model, keys: [.down, .up, .up]).0.selection == 0)
        #expect(run(model, keys: [.char("j")]).0.selectedAccount == Sample.bob)
    }

    @Test("g/G and Home/End jump to the first and last account")
    func jumpToEnds() {
        let model = Sample.model()
        #expect(run(model, keys: [.char("G")]).0.selection == 2)
        #expect(run(model, keys: [.char("G"), .char("g")]).0.selection == 0)
        #expect(run(model, keys: [.end]).0.selection == 2)
        #expect(run(model, keys: [.end, .home]).0.selection == 0)
    }

    @Test("PgDn/PgUp move by a page of the table")
    func paging() {
        let many = (0..<50).map { index in
            var account = Sample.alice
            account.did = "did:plc:account\(index)"
            account.handle = "user\(index).test"
            account.isDefault = false
            return account
        }
        let model = Sample.model(many)
        let page = model.pageSize
        #expect(page > 1)
        #expect(run(model, keys: [.pageDown]).0.selection == page)
        #expect(run(model, keys: [.pageDown, .pageDown, .pageUp]).0.selection == page)
        #expect(run(model, keys: [.end, .pageDown]).0.selection == 49)
        #expect(run(model, keys: [.pageUp]).0.selection == 0)
    }

    @Test("a opens the add prompt prefilled with the first suggested handle not yet stored; Enter logs in")
    func addWithSuggestion() {
        let model = Sample.model([Sample.alice])
        let (prompting, none) = run(model, keys: [.char("a")])
        #expect(none.isEmpty)
        #expect(prompting.prompt == Prompt(purpose: .addAccount, text: "bob.test", pristine: true, suggestionIndex: 1))
        let (loggingIn, effects) = run(prompting, keys: [.enter])
        #expect(effects == [.login("bob.test", reuse: nil)])
        #expect(loggingIn.screen == .login)
        #expect(loggingIn.prompt == nil)
        #expect(loggingIn.login.isRunning)
        #expect(loggingIn.login.input == "bob.test")
    }

    @Test("a: typing replaces the prefill, backspace edits, ↑/↓ cycle the suggestions, Esc cancels")
    func addPromptEditing() {
        let model = Sample.model([])
        let (typed, _) = run(model, keys: [.char("a")] + typing("zed.tesx") + [.backspace, .char("t")])
        #expect(typed.prompt?.text == "zed.test")
        let (_, effects) = run(typed, keys: [.enter])
        #expect(effects == [.login("zed.test", reuse: nil)])

        let (cycled, _) = run(model, keys: [.char("a"), .down])
        #expect(cycled.prompt?.text == "bob.test")
        #expect(run(cycled, keys: [.up, .up]).0.prompt?.text == "carol.test")
        #expect(run(model, keys: [.char("a"), .backspace]).0.prompt?.text == "")

        let (cancelled, none) = run(model, keys: [.char("a"), .char("q"), .escape])
        #expect(cancelled.prompt == nil)
        #expect(cancelled.screen == .accounts)
        #expect(none.isEmpty)  // q was text, not quit
        #expect(run(model, keys: [.char("a"), .backspace, .enter]).1.isEmpty)  // empty input does nothing
    }

    @Test("L re-logs in the selected account with its handle, reusing its DID")
    func relogin() {
        let (model, effects) = run(Sample.model(), keys: [.char("j"), .char("L")])
        #expect(effects == [.login("bob.test", reuse: Sample.bob.did)])
        #expect(model.screen == .login)
        #expect(model.login.reuseDID == Sample.bob.did)
        #expect(run(Sample.model([]), keys: [.char("L")]).1.isEmpty)
    }

    @Test("r refreshes the selected account once; without a refresh token it explains what to do")
    func refreshOne() {
        let (model, effects) = run(Sample.model(), keys: [.char("r")])
        #expect(effects == [.refresh(Sample.alice.did)])
        #expect(model.refreshing == [Sample.alice.did])
        #expect(run(model, keys: [.char("r")]).1.isEmpty)  // already in flight

        let (refused, none) = run(Sample.model([Sample.dave]), keys: [.char("r")])
        #expect(none.isEmpty)
        #expect(refused.banner?.hint == "press L to log in again")

        let (done, _) = run(
            model, [.refreshFinished(did: Sample.alice.did, result: .success(Sample.alice)), .tick(Sample.now)])
        #expect(done.refreshing.isEmpty)
        #expect(done.status == "Refreshed alice.test")
        let failure = TUIServiceError("refresh of alice.test failed: invalid_grant", hint: "press L to log in again")
        let (failed, _) = run(model, [.refreshFinished(did: Sample.alice.did, result: .failure(failure))])
        #expect(failed.banner == Banner(failure))
        #expect(failed.refreshing.isEmpty)
    }

    @Test("R refreshes every account that has a refresh token")
    func refreshAll() {
        let (model, effects) = run(Sample.model([Sample.alice, Sample.dave, Sample.carol]), keys: [.char("R")])
        #expect(effects == [.refreshAll([Sample.alice.did, Sample.carol.did])], "the effect carries the DIDs")
        #expect(model.refreshing == [Sample.alice.did, Sample.carol.did])
        #expect(run(Sample.model([Sample.dave]), keys: [.char("R")]).1.isEmpty)
    }

    @Test("Enter fixes the selected row: L for needs-login, r for expired, nothing for healthy")
    func enterFixes() {
        let model = Sample.model([Sample.alice, Sample.carol, Sample.dave])
        #expect(run(model, keys: [.enter]).1.isEmpty)
        #expect(run(model, keys: [.down, .enter]).1 == [.refresh(Sample.carol.did)])
        #expect(run(model, keys: [.end, .enter]).1 == [.login("dave.test", reuse: Sample.dave.did)])
    }

    @Test("x asks first; y logs out, anything else cancels")
    func logoutConfirm() {
        let model = Sample.model()
        let (asking, none) = run(model, keys: [.char("j"), .char("x")])
        #expect(none.isEmpty)
        #expect(asking.confirm == .logout(did: Sample.bob.did, label: "bob.test"))
        let (confirmed, effects) = run(asking, keys: [.char("y")])
        #expect(effects == [.logout(Sample.bob.did)])
        #expect(confirmed.confirm == nil)
        let (declined, nothing) = run(asking, keys: [.char("n")])
        #expect(nothing.isEmpty)
        #expect(declined.confirm == nil)
        #expect(declined.status == "Logout cancelled")
        #expect(run(asking, keys: [.char("q")]).1.isEmpty)  // q answers no, it does not quit

        let (gone, reload) = run(confirmed, [.logoutFinished(did: Sample.bob.did, error: nil)])
        #expect(reload == [.loadAccounts])
        #expect(gone.accounts == [Sample.alice, Sample.carol])
        #expect(gone.selection == 1)
        let failure = TUIServiceError("revocation failed", hint: "the local session was kept; retry with x")
        #expect(run(confirmed, [.logoutFinished(did: Sample.bob.did, error: failure)]).0.banner == Banner(failure))
    }

    @Test("s makes the selected account the default")
    func makeDefault() {
        let model = Sample.model()
        #expect(run(model, keys: [.char("s")]).1.isEmpty)  // alice already is
        #expect(run(model, keys: [.char("s")]).0.status == "alice.test is already the default account")
        let (asked, effects) = run(model, keys: [.char("G"), .char("s")])
        #expect(effects == [.setDefault(Sample.carol.did)])
        let (done, reload) = run(asked, [.defaultSet(did: Sample.carol.did, error: nil)])
        #expect(reload == [.loadAccounts])
        #expect(done.accounts.filter(\.isDefault).map(\.did) == [Sample.carol.did])
    }

    @Test("/ filters as you type; Enter keeps the filter, Esc clears it")
    func filter() {
        let model = Sample.model()
        let (filtering, _) = run(model, keys: [.char("/")] + typing("car"))
        #expect(filtering.filter == "car")
        #expect(filtering.visibleAccounts == [Sample.carol])
        let (kept, _) = run(filtering, keys: [.enter])
        #expect(kept.prompt == nil)
        #expect(kept.filter == "car")
        #expect(kept.selectedAccount == Sample.carol)
        #expect(run(kept, keys: [.escape]).0.filter.isEmpty)
        #expect(run(filtering, keys: [.escape]).0.filter.isEmpty)
        #expect(run(model, keys: [.char("/")] + typing("pds.bob")).0.visibleAccounts == [Sample.bob])
    }

    @Test("? opens help; Esc or ? goes back to where it was opened")
    func help() {
        let model = Sample.model()
        let (helping, _) = run(model, keys: [.char("?")])
        #expect(helping.screen == .help)
        #expect(run(helping, keys: [.escape]).0.screen == .accounts)
        #expect(run(helping, keys: [.char("?")]).0.screen == .accounts)
        let (fromLogin, _) = run(model, keys: [.char("L"), .char("?"), .escape])
        #expect(fromLogin.screen == .login)
    }

    @Test("q and Ctrl-C quit; Ctrl-C even while typing")
    func quit() {
        let model = Sample.model()
        #expect(run(model, keys: [.char("q")]).1 == [.quit])
        #expect(run(model, keys: [.ctrlC]).1 == [.quit])
        #expect(run(model, keys: [.char("a"), .ctrlC]).1 == [.quit])
        #expect(run(model, keys: [.char("?"), .char("q")]).1 == [.quit])
    }

    @Test("Esc dismisses the error banner first")
    func dismissBanner() {
        var model = Sample.model()
        model.banner = Banner(message: "boom", hint: "try again")
        model.filter = "a"
        let (once, _) = run(model, keys: [.escape])
        #expect(once.banner == nil)
        #expect(once.filter == "a")
        #expect(run(once, keys: [.escape]).0.filter.isEmpty)
    }

    @Test("reloading keeps the selected account selected; ticks move the clock and the state")
    func reloadAndTick() {
        let model = Sample.model()
        let (moved, _) = run(model, keys: [.char("G")])
        let (reloaded, _) = run(moved, [.accountsLoaded(accounts: [Sample.carol, Sample.alice], problems: [])])
        #expect(reloaded.selectedAccount == Sample.carol)
        #expect(Sample.bob.state(at: model.now) == .expiring)
        let (later, _) = run(model, [.tick(Sample.now.addingTimeInterval(43))])
        #expect(later.now == Sample.now.addingTimeInterval(43))
        #expect(Sample.bob.state(at: later.now) == .expired)
        #expect(Sample.alice.state(at: later.now) == .ok)
        #expect(Sample.dave.state(at: later.now) == .needsLogin)
        #expect(run(model, [.resized(rows: 30, cols: 100)]).0.cols == 100)
    }
}
