import Foundation
import FirmBase
import FirmModel

/// Finds credentials and the region the way every AWS tool does: the provider's settings (as
/// `{"env": NAME}`), then `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`,
/// then the profile (the `profile` setting, else `AWS_PROFILE`, else `default`) in
/// `~/.aws/credentials` and `~/.aws/config` (or `AWS_SHARED_CREDENTIALS_FILE` and
/// `AWS_CONFIG_FILE`). The region: the setting, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile.
public struct AWSCredentials: Sendable, Equatable {
    public var credentials: SigV4.Credentials
    public var region: String
    /// Where the credentials came from, for messages (never the values).
    public var source: String

    public init(credentials: SigV4.Credentials, region: String, source: String) {
        self.credentials = credentials
        self.region = region
        self.source = source
    }

    /// What is missing or wrong, naming variables and files, never values.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        /// An environment variable holds control characters or is too long.
        case badVariable(String)
        /// An `{"env": NAME}` setting names a variable that is not set.
        case unsetVariable(String, setting: String)
        case badRegion(String)
        case noRegion(profile: String)
        /// An access key is given without its secret.
        case keyWithoutSecret(from: String, needs: String)
        case noCredentials(profile: String)
        /// A credentials or config file can't be read.
        case unreadable(String, reason: String)

        public var description: String {
            switch self {
            case .badVariable(let name): "environment variable \(name) holds control characters or is too long"
            case .unsetVariable(let name, let key): "environment variable \(name) is not set (settings.\(key) needs it)"
            case .badRegion(let region): "the region \(quoted(region)) is not an AWS region (such as us-east-1)"
            case .noRegion(let profile): "no region: set settings.region, AWS_REGION, or region in profile \(profile) of ~/.aws/config"
            case .keyWithoutSecret(let key, let secret): "\(key) is \(key.hasPrefix("settings.") ? "given" : "set") without \(secret)"
            case .noCredentials(let profile):
                "no AWS credentials: set accessKeyId and secretAccessKey in the settings (as {\"env\": …}), "
                    + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile (\(profile)) in ~/.aws/credentials"
            case .unreadable(let path, let reason): "can't read \(path): \(reason)"
            }
        }
    }

    /// Throws a `Problem` saying what is missing or wrong, naming variables and files, never values.
    public static func resolve(_ settings: EC2Settings, environment: Environment, home: String? = nil) throws -> AWSCredentials {
        func env(_ name: String) throws -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            guard !value.unicodeScalars.contains(where: ControlCharacters.isControl), value.utf8.count <= 4096 else {
                throw Problem.badVariable(name)
            }
            return value
        }
        func setting(_ value: AttributeValue?, _ key: String) throws -> String? {
            switch value {
            case nil, .snapshot?: return nil
            case .literal(let s)?: return s
            case .env(let name)?:
                guard let s = try env(name) else { throw Problem.unsetVariable(name, setting: key) }
                return s
            }
        }
        let homeDirectory = home ?? environment["HOME"] ?? NSHomeDirectory()
        let profileName = try settings.profile ?? env("AWS_PROFILE") ?? "default"
        let profile = try Profile.load(name: profileName, credentialsFile: env("AWS_SHARED_CREDENTIALS_FILE") ?? "\(homeDirectory)/.aws/credentials",
                                       configFile: env("AWS_CONFIG_FILE") ?? "\(homeDirectory)/.aws/config")
        let region = try settings.region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? profile.values["region"]
        if let r = region, !EC2Settings.isRegion(r) {
            throw Problem.badRegion(r)
        }
        guard let foundRegion = region else {
            throw Problem.noRegion(profile: profileName)
        }

        if let key = try setting(settings.accessKeyId, "accessKeyId") {
            guard let secret = try setting(settings.secretAccessKey, "secretAccessKey") else {
                throw Problem.keyWithoutSecret(from: "settings.accessKeyId", needs: "settings.secretAccessKey")
            }
            return AWSCredentials(credentials: SigV4.Credentials(accessKey: key, secret: secret, sessionToken: try setting(settings.sessionToken, "sessionToken")),
                                  region: foundRegion, source: "the provider's settings")
        }
        if let key = try env("AWS_ACCESS_KEY_ID") {
            guard let secret = try env("AWS_SECRET_ACCESS_KEY") else { throw Problem.keyWithoutSecret(from: "AWS_ACCESS_KEY_ID", needs: "AWS_SECRET_ACCESS_KEY") }
            return AWSCredentials(credentials: SigV4.Credentials(accessKey: key, secret: secret, sessionToken: try env("AWS_SESSION_TOKEN")),
                                  region: foundRegion, source: "AWS_ACCESS_KEY_ID")
        }
        if let key = profile.values["aws_access_key_id"], let secret = profile.values["aws_secret_access_key"] {
            return AWSCredentials(credentials: SigV4.Credentials(accessKey: key, secret: secret, sessionToken: profile.values["aws_session_token"]),
                                  region: foundRegion, source: "profile \(profileName)")
        }
        throw Problem.noCredentials(profile: profileName)
    }

    /// One profile's keys, from the credentials file (`[name]`) and the config file
    /// (`[profile name]`, or `[default]`); the credentials file wins.
    struct Profile {
        var values: [String: String] = [:]

        static func load(name: String, credentialsFile: String, configFile: String) throws(Problem) -> Profile {
            var profile = Profile()
            let config = try sections(configFile)
            for (k, v) in config[name == "default" ? "default" : "profile \(name)"] ?? config[name] ?? [:] { profile.values[k] = v }
            for (k, v) in try sections(credentialsFile)[name] ?? [:] { profile.values[k] = v }
            return profile
        }

        /// An INI file's sections; a missing file has none.
        static func sections(_ path: String) throws(Problem) -> [String: [String: String]] {
            let data: [UInt8]
            do {
                guard FileManager.default.fileExists(atPath: path) else { return [:] }
                data = try FileIO.readRegular(path, limit: 1 << 20)
            } catch {
                throw Problem.unreadable(path, reason: "\(error)")
            }
            var result: [String: [String: String]] = [:]
            var current: String?
            for raw in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
                if line.hasPrefix("[") && line.hasSuffix("]") {
                    current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                    continue
                }
                guard let section = current, let eq = line.firstIndex(of: "=") else { continue }
                let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                result[section, default: [:]][key] = value
            }
            return result
        }
    }
}
