import Foundation

extension Model {
    /// Line editing for the prompt; Enter submits it to its purpose.
    mutating func handlePrompt(_ key: Key) -> [Effect] {
        guard var line = prompt else { return [] }
        switch key {
        case .char(let character):
            if line.pristine { line.text = "" }
            line.text.append(character)
            line.pristine = false
        case .backspace:
            if line.pristine { line.text = "" } else if !line.text.isEmpty { line.text.removeLast() }
            line.pristine = false
        case .up, .down:
            guard line.purpose != .filter, !suggestedHandles.isEmpty else { break }
            let count = suggestedHandles.count
            let step = key == .down ? 1 : -1
            let index = line.suggestionIndex.map { ($0 + step + count) % count } ?? (step == 1 ? 0 : count - 1)
            line.suggestionIndex = index
            line.text = suggestedHandles[index]
            line.pristine = true
        case .escape:
            prompt = nil
            if line.purpose == .filter {
                filter = ""
                clampSelection()
            } else if line.purpose == .discover, discovery.steps.isEmpty, !discovery.isRunning,
                discovery.input.isEmpty
            {
                screen = .accounts
            }
            return []
        case .enter:
            return submit(line)
        default:
            break
        }
        prompt = line
        if line.purpose == .filter {
            filter = line.text
            selection = 0
        }
        return []
    }

    private mutating func submit(_ line: Prompt) -> [Effect] {
        let text = line.text.trimmingCharacters(in: .whitespaces)
        switch line.purpose {
        case .filter:
            prompt = nil
            filter = text
            clampSelection()
            return []
        case .addAccount:
            guard !text.isEmpty else { return [] }
            prompt = nil
            return startLogin(text, reuse: nil)
        case .discover:
            guard !text.isEmpty else { return [] }
            prompt = nil
            var effects: [Effect] = []
            if discovery.isRunning { effects.append(.cancelDiscovery) }
            discovery = DiscoveryState()
            discovery.input = text
            discovery.isRunning = true
            banner = nil
            screen = .discovery
            effects.append(.discover(text))
            return effects
        }
    }
}
