import FirmBase
import FirmModel


extension StateRecorder {
    /// Records into the local journal beside `paths`, opened after `loaded`.
    public convenience init(_ loaded: LoadedState, paths: StatePaths) throws(StateError) {
        let opened = loaded.withLineage
        self.init(opened, journal: try LocalJournal(opened, paths: paths))
    }

    /// For tests: records into `journal` (such as one opened on /dev/full).
    convenience init(_ loaded: LoadedState, paths: StatePaths, journal: JournalFile) {
        self.init(loaded.withLineage, journal: LocalJournal(file: journal, paths: paths))
    }
}
