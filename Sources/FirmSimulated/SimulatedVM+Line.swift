import FirmBase
import FirmModel

extension SimulatedVM {
    /// The VM of a world log's `{"put": VM}` line, read straight from its bytes: nearly every
    /// line is one. Nil for any other line, or anything unusual in it (a repeated key, a value
    /// of another type), which the caller reads through a tree as before, to the same result.
    static func putLine(_ line: UnsafeBufferPointer<UInt8>) -> SimulatedVM? {
        JSONCursor.read(line) { cursor throws(JSONCursor.Miss) in
            guard try cursor.beginObject(), try cursor.key().spells("put"), try cursor.beginObject() else { throw JSONCursor.Miss() }
            var seen = KeysSeen()
            var vm = SimulatedVM(vmName: "", vmUuid: "", app: "", sandbox: "", deploymentType: "", status: .pending, ip: "", publicIp: "", mac: "")
            var status: Status?
            repeat {
                let key = try cursor.key()
                if key.spells("vmName") {
                    try seen.insert(0)
                    vm.vmName = try cursor.string()
                } else if key.spells("vmUuid") {
                    try seen.insert(1)
                    vm.vmUuid = try cursor.string()
                } else if key.spells("app") {
                    try seen.insert(2)
                    vm.app = try cursor.string()
                } else if key.spells("sandbox") {
                    try seen.insert(3)
                    vm.sandbox = try cursor.string()
                } else if key.spells("deploymentType") {
                    try seen.insert(4)
                    vm.deploymentType = try cursor.string()
                } else if key.spells("status") {
                    try seen.insert(5)
                    status = Status(rawValue: try cursor.string())
                } else if key.spells("ip") {
                    try seen.insert(6)
                    vm.ip = try cursor.string()
                } else if key.spells("publicIp") {
                    try seen.insert(7)
                    vm.publicIp = try cursor.string()
                } else if key.spells("mac") {
                    try seen.insert(8)
                    vm.mac = try cursor.string()
                } else if key.spells("vlans") {
                    try seen.insert(9)
                    vm.vlans = vlans(try cursor.value())
                } else if key.spells("subnets") {
                    try seen.insert(10)
                    vm.subnets = subnets(try cursor.value())
                } else if key.spells("image") {
                    try seen.insert(11)
                    vm.image = try cursor.string()
                } else {
                    _ = try cursor.value()
                }
            } while try cursor.next()
            // The line holds the VM and nothing else; a VM without a name, uuid or status is
            // left to the tree, which refuses it.
            guard !(try cursor.next()), let status, seen.contains(0), seen.contains(1) else { throw JSONCursor.Miss() }
            vm.status = status
            return vm
        }
    }

    /// `vlans` as the log holds it: VLAN id (as a key) -> interface; other members are ignored.
    static func vlans(_ node: JSONNode?) -> [Int: String] {
        var result: [Int: String] = [:]
        for member in node?.members ?? [] {
            if let id = Int(member.key), let interface = member.value.stringValue { result[id] = interface }
        }
        return result
    }

    /// `subnets` as the log holds it: the strings of an array; other items are ignored.
    static func subnets(_ node: JSONNode?) -> [String] {
        node?.items?.compactMap(\.stringValue) ?? []
    }
}
