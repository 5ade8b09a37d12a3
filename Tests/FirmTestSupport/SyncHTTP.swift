import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP request, synchronously: URLSession's own threads do the work while the caller's
/// thread waits. For the tests' servers only (etcd's gateway, moto).
package enum SyncHTTP {
    package static func request(_ url: String, method: String = "GET", body: String = "", headers: [String: String] = [:],
                                timeout: TimeInterval = 30) throws -> (status: Int, body: Data) {
        var request = URLRequest(url: try URL(string: url).orThrow("not a URL: \(url)"))
        request.httpMethod = method
        request.timeoutInterval = timeout
        if !body.isEmpty { request.httpBody = Data(body.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<(Int, Data), any Error>?>(nil)
        URLSession.shared.dataTask(with: request) { data, response, error in
            result.withLock {
                if let error { $0 = .failure(error) } else { $0 = .success(((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data())) }
            }
            done.signal()
        }.resume()
        done.wait()
        let (status, data) = try result.withLock { try $0.orThrow("URLSession gave no answer for \(url)").get() }
        return (status, data)
    }
}
