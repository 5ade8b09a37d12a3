import Firmament
import FirmBase
import FirmModel
import FirmPlanning
import FirmExecution
import FirmSession
import FirmDrift


enum HelpCommand {
    static func run(_ rest: [String]) throws {
        if rest == ["--help"] {
            Terminal.out(Help.help.text)
            return
        }
        guard let name = rest.first else {
            Terminal.out(Help.overview)
            return
        }
        guard let command = Help.commands.first(where: { $0.name == name }) else {
            throw UsageError(message: "no help for unknown command \(quoted(name))", command: Help.help)
        }
        Terminal.out(command.text)
    }
}
