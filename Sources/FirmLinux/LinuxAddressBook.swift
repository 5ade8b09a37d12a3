import FirmBase

/// The IPv4 addresses of the sandbox's app namespaces, kept by the provider so that a connect
/// batch reads only its own targets' namespaces, not every app's (which made an apply of N apps
/// run N `ip` commands per batch). The kernel stays the record: the book is read from it once,
/// by the first batch of a provider (one session, under the state lock), and after that each
/// batch replaces the entries of the namespaces it read. Every change of a sandbox's addresses
/// runs on the provider's switch queue (connect batches, deploy, delete, findByName), so no
/// change happens between reading the book and writing it. When a batch fails part way, the
/// book is forgotten and read again in full by the next batch. An entry that is stale in the
/// other direction (an address flushed by hand) only keeps that address from being handed out.
final class LinuxAddressBook: Sendable {
    /// Addresses by namespace; nil until read from the kernel.
    private let entries = Locked<[String: Set<UInt32>]?>(nil)

    /// Every address in use: the book read from the kernel when it has not been yet, with the
    /// entries of the namespaces `asked` replaced first by what was just `read` of them.
    func used(_ kernel: LinuxKernel, _ names: LinuxNames, asked: [String], read: [String: NamespaceInside]) throws -> Set<UInt32> {
        if entries.value == nil {
            // Those just read are not read again: `update` below enters them.
            let appNamespaces = try kernel.namespaces().filter { names.appKey(ofNamespace: $0) != nil && read[$0] == nil }
            let all = try kernel.insides(appNamespaces, processes: false)
            entries.withLock { $0 = all.mapValues(Self.addresses) }
        }
        update(asked: asked, read: read)
        return entries.withLock { book in Set((book ?? [:]).values.joined()) }
    }

    /// Replaces the entries of the namespaces `asked` with what the kernel answered (`read`
    /// lacks those that do not exist); nothing until the book has been read.
    func update(asked: [String], read: [String: NamespaceInside]) {
        entries.withLock { book in
            guard book != nil else { return }
            for namespace in asked { book?[namespace] = read[namespace].map(Self.addresses) }
        }
    }

    /// `namespace` was just made with `addresses` (none for an L2 deploy's): the book, read
    /// before it was made, knows it without reading it.
    func made(_ namespace: String, addresses: Set<UInt32> = []) {
        entries.withLock { _ = $0?.updateValue(addresses, forKey: namespace) }
    }

    /// Whether the book knows `namespace` to have no address (made in this run, and not yet
    /// connected): a connect batch need not read it.
    func isKnownEmpty(_ namespace: String) -> Bool {
        entries.withLock { $0?[namespace]?.isEmpty == true }
    }

    /// `namespace` was removed (or made anew, without addresses).
    func remove(_ namespace: String) {
        entries.withLock { _ = $0?.removeValue(forKey: namespace) }
    }

    /// Read the whole book again from the kernel at the next batch.
    func forget() {
        entries.withLock { $0 = nil }
    }

    static func addresses(_ inside: NamespaceInside) -> Set<UInt32> {
        Set(inside.links.flatMap(\.addresses).compactMap { IPv4Address($0)?.value })
    }
}
