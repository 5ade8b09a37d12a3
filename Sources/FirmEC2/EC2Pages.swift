import FirmBase
import FirmModel

extension EC2Client {
    /// Calls `action` page after page (`MaxResults` = `pageSize`), handing each answer to
    /// `page`, until EC2 gives no `nextToken`. Bounded, whatever the endpoint answers: a token
    /// it gave before, or one over 4 KiB, is an error, and so are more than `maxPages` pages.
    func paged(_ action: String, _ parameters: [(String, String)], pageSize: Int, maxPages: Int, operation: String,
               _ page: (XMLTree) throws -> Void) async throws {
        var token: String?
        var tokens: Set<String> = []
        for _ in 0..<maxPages {
            var asked = parameters + [("MaxResults", String(pageSize))]
            if let token { asked.append(("NextToken", token)) }
            let answer = try await call(action, asked, operation: operation)
            try page(answer)
            guard let next = answer.value("nextToken"), !next.isEmpty else { return }
            guard next.utf8.count <= 4096, tokens.insert(next).inserted else {
                throw ProviderError(provider: provider, operation: operation,
                                    message: "\(action) answered a nextToken it gave before, or one over 4 KiB; its pages never end")
            }
            token = next
        }
        throw ProviderError(provider: provider, operation: operation, message: "\(action) went on past \(maxPages) pages of \(pageSize)")
    }
}
