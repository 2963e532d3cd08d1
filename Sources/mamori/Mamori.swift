import ArgumentParser

@main
struct Mamori: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mamori", abstract: "Mamori")
}
