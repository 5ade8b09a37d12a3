import Foundation
import FirmBase
import FirmModel

/// EC2's errors as provider errors: `<Response><Errors><Error><Code>…<Message>…` plus a
/// RequestID. Throttling, capacity and server errors are retryable; the rest are terminal,
/// with a hint at what to fix where one helps.
enum EC2Errors {
    static let retryableCodes: Set<String> = throttlingCodes.union([
        "InsufficientInstanceCapacity", "InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable", "RequestTimeout", "RequestExpired",
    ])

    /// Codes that say the request was refused for its rate, and so not carried out.
    static let throttlingCodes: Set<String> = ["RequestLimitExceeded", "Throttling", "ThrottlingException"]

    static func hint(_ code: String) -> String? {
        switch code {
        case "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch":
            "check the access key and secret (the provider's settings, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile) and the region"
        case "UnauthorizedOperation", "AccessDenied":
            "the credentials lack an IAM permission; docs/providers/ec2.md lists the minimal policy"
        case "InvalidParameterValue", "InvalidParameterCombination", "InvalidInstanceType":
            "check the deployment attributes (InstanceType, DiskGiB, UserData) and the settings"
        case _ where code.hasPrefix("InvalidAMIID"):
            "check the AMI attribute: the image must exist in this region and be visible to the account"
        case "VpcLimitExceeded", "InstanceLimitExceeded":
            "an account quota is reached; raise it or clean up other sandboxes"
        default: nil
        }
    }

    static func error(provider: String, operation: String, action: String, status: Int, tree: XMLTree?, body: Data) -> ProviderError {
        guard let tree, let error = tree.all("Error").first, let code = error.value("Code") else {
            let kind: FailureKind = status >= 500 || status == 429 || status == 0 ? .retryable : .terminal
            let excerpt = String(decoding: body.prefix(120), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
            return ProviderError(provider: provider, operation: operation,
                                 message: "\(action) answered HTTP \(status) with a body that is not an EC2 XML answer: \(quoted(excerpt))",
                                 kind: kind, code: "HTTP\(status)")
        }
        let message = error.value("Message") ?? ""
        let requestID = tree.value("RequestID") ?? tree.value("RequestId") ?? ""
        var text = "\(action): \(message.isEmpty ? code : message)"
        if let hint = hint(code) { text += " (\(hint))" }
        if !requestID.isEmpty { text += "; request id \(requestID)" }
        let kind: FailureKind = retryableCodes.contains(code) || status >= 500 ? .retryable : .terminal
        return ProviderError(provider: provider, operation: operation, message: text, kind: kind, code: code)
    }

    /// Whether an error says the thing asked about is already gone.
    static func isNotFound(_ error: any Error) -> Bool {
        guard let e = error as? ProviderError, let code = e.code else { return false }
        return code.hasSuffix(".NotFound")
    }

    /// An image that is not there: not found, or an id EC2 does not know (InvalidAMIID.*).
    static func isGoneImage(_ error: any Error) -> Bool {
        isNotFound(error) || (error as? ProviderError).map(EC2Catalog.isUnknownImage) == true
    }
}
