import FirmBase
import FirmModel
import FirmEncryption

/// The journal's line format: `<crc32 hex> <compact JSON>\n`. The first line is a header
/// `{"journal":1,"lineage":…,"blueprint":…}`; each later line is one `StateChange` with the
/// serial it produces.
public enum Journal {
    public static let formatVersion = 1

    /// One encoded line for a JSON record.
    public static func line(_ record: JSON) -> [UInt8] {
        var out: [UInt8] = []
        appendLine(to: &out) { body in JSONWriter(pretty: false).write(record, into: &body, indent: 0) }
        return out
    }

    /// Appends one line, `CRC32 body\n`, whose body `write` appends.
    static func appendLine(to out: inout [UInt8], _ write: (inout [UInt8]) -> Void) {
        let start = out.count
        out.append(contentsOf: "00000000 ".utf8)
        write(&out)
        let crc = out.withUnsafeBufferPointer { CRC32.checksum(UnsafeBufferPointer(rebasing: $0[(start + 9)...])) }
        for i in 0..<8 { out[start + i] = Hex.digits[Int((crc >> UInt32(28 - 4 * i)) & 0xF)] }
        out.append(0x0A)
    }

    /// Appends the line of one change.
    static func appendLine(_ change: StateChange, serial: Int, to out: inout [UInt8]) {
        appendLine(to: &out) { body in change.write(serial: serial, into: &body) }
    }

    /// Appends the line of one change sealed by the journal's `sealer` (see LocalSealing).
    static func appendLine(_ change: StateChange, serial: Int, to out: inout [UInt8], sealer: EnvelopeSealer) throws(StateError) {
        var failure: EncryptionError?
        appendLine(to: &out) { body in
            do throws(EncryptionError) { try sealer.seal(kind: "record", serial: serial, appendingTo: &body) { change.write(serial: serial, into: &$0) } } catch { failure = error }
        }
        if let failure { throw .io(location: "journal", reason: "cannot encrypt: \(failure)") }
    }

    /// The header line that starts a journal.
    public static func header(lineage: String, blueprint: String) -> [UInt8] {
        line(["journal": .int(formatVersion), "lineage": .string(lineage), "blueprint": .string(blueprint)])
    }

    /// What reading a journal found.
    public struct Contents {
        public var lineage: String
        public var blueprint: String
        public var records: [(serial: Int, change: StateChange)]
        /// The length of the valid prefix; anything after it is a torn tail.
        public var validLength: Int
        /// Set when a torn or damaged last record was dropped.
        public var droppedTail: String?
    }

    /// Parses journal bytes. A damaged last line is a torn write and is dropped; a damaged line
    /// before the last is corruption and is refused.
    public static func parse(_ bytes: [UInt8], file: String, sealing: LocalSealing = LocalSealing(keys: nil)) throws(StateError) -> Contents? {
        var lines: [(start: Int, end: Int, complete: Bool)] = []
        var start = 0
        for i in bytes.indices where bytes[i] == 0x0A {
            lines.append((start, i, true))
            start = i + 1
        }
        if start < bytes.count { lines.append((start, bytes.count, false)) }
        if lines.isEmpty { return nil }

        var contents: Contents?
        for (number, line) in lines.enumerated() {
            let isLast = number == lines.count - 1
            var record = line.complete ? decodeLine(bytes[line.start..<line.end]) : nil
            var sealedSerial: Int?
            if number > 0, let sealed = record, sealed.member("firmEncrypted") != nil {
                // A sealed record whose checksum holds: it opens, or the journal is refused.
                let body = Array(bytes[(line.start + 9)..<line.end])
                guard let opened = try sealing.open(body, file: file, kind: "record") else { throw .corrupt(location: file, reason: "journal line \(number + 1) is damaged") }
                guard let c = contents, opened.envelope.lineage == c.lineage, opened.envelope.sandbox == c.blueprint else {
                    throw .corrupt(location: file, reason: "journal line \(number + 1): an encrypted record of another state (lineage \(opened.envelope.lineage))")
                }
                record = try? JSONReader.parse(opened.plaintext)
                sealedSerial = opened.envelope.serial
                if record == nil { throw .corrupt(location: file, reason: "journal line \(number + 1): the decrypted record is not JSON") }
            }
            guard let record else {
                if isLast {
                    let why = line.complete ? "a damaged last record" : "an incomplete last record"
                    if var c = contents {
                        c.validLength = line.start
                        c.droppedTail = "\(file): dropped \(why) (\(line.end - line.start) bytes), as a crash mid-write leaves it"
                        return c
                    }
                    return nil
                }
                throw .corrupt(location: file, reason: "journal line \(number + 1) is damaged (checksum or JSON)")
            }
            if number == 0 {
                if let version = record.plain["journal"]?.intValue, version > formatVersion { throw .newer(location: file, version: version) }
                guard let lineage = record.plain["lineage"]?.stringValue, let blueprint = record.plain["blueprint"]?.stringValue,
                    record.plain["journal"]?.intValue == formatVersion
                else { throw .corrupt(location: file, reason: "the journal has no valid header") }
                contents = Contents(lineage: lineage, blueprint: blueprint, records: [], validLength: line.end + 1)
                continue
            }
            var context = DecodingContext(file: file)
            guard let (serial, change) = StateChange.decode(record, &context) else {
                throw .corrupt(location: file, reason: "journal line \(number + 1): " + (context.diagnostics.first?.description ?? "invalid record"))
            }
            if let sealedSerial, sealedSerial != serial {
                throw .corrupt(location: file, reason: "journal line \(number + 1): a record sealed for serial \(sealedSerial) holds serial \(serial) (a record swapped in)")
            }
            // Serials only grow: a record that does not follow the one before was not written by
            // firm's recorder, and replaying around it would drop a change.
            if let previous = contents!.records.last?.serial, serial <= previous {
                throw .corrupt(location: file, reason: "journal line \(number + 1): serial \(serial) does not follow serial \(previous) of the line before")
            }
            contents!.records.append((serial, change))
            contents!.validLength = line.end + 1
        }
        return contents
    }

    static func decodeLine(_ line: ArraySlice<UInt8>) -> JSONNode? {
        guard let body = body(ofLine: line) else { return nil }
        let crc = String(decoding: line.prefix(8), as: UTF8.self)
        guard CRC32.hex(body) == crc else { return nil }
        return try? JSONReader.parse(body)
    }

    /// What follows a line's `<crc> ` (8 hex digits and a space), unchecked; nil when the line
    /// is not so laid out.
    static func body(ofLine line: ArraySlice<UInt8>) -> [UInt8]? {
        guard line.count > 9, line[line.startIndex + 8] == 0x20 else { return nil }
        return Array(line.dropFirst(9))
    }
}
