/// Where things go on screen; shared by `view` and by `update` (for page sizes).
enum Layout {
    /// The title bar is row 0; the banner, when shown, takes the two rows below it.
    static func bodyTop(hasBanner: Bool) -> Int { hasBanner ? 3 : 1 }

    /// Rows between the title (and banner) and the status + footer rows.
    static func bodyHeight(rows: Int, hasBanner: Bool = false) -> Int {
        max(rows - 2 - bodyTop(hasBanner: hasBanner), 1)
    }

    /// Rows of the details pane (separator included); shrinks on short terminals. Taller
    /// terminals give the granted permissions more rows: 2 at 20–23 rows, 3 at 24–29, 5 from
    /// 30. The height depends on the terminal only, so the table does not jump when the
    /// selection moves to an account with more permissions.
    static func detailsHeight(rows: Int) -> Int {
        switch rows {
        case 30...: 12
        case 24..<30: 10
        case 20..<24: 9
        case 14..<20: 5
        default: 0
        }
    }

    /// The details pane's fields other than the permissions (DID, Issuer, PDS, Access,
    /// Session, DPoP jkt).
    static let detailsFixedFields = 6

    /// Rows of the accounts table below its header.
    static func accountsListHeight(rows: Int, hasBanner: Bool) -> Int {
        max(bodyHeight(rows: rows, hasBanner: hasBanner) - 1 - detailsHeight(rows: rows), 1)
    }

    /// Rows of a document below its title line.
    static func documentHeight(rows: Int) -> Int { max(bodyHeight(rows: rows) - 1, 1) }

    /// The accounts table columns for a width. The PDS column goes first when space is short.
    struct Columns: Equatable {
        var handle: Int
        var did: Int
        var pds: Int  // 0 = hidden
        static let prefix = 3  // selection pointer, default marker, space
        static let state = 11
        static let token = 7
        static let age = 4

        init(cols: Int) {
            let fixed = Self.prefix + Self.state + Self.token + Self.age
            // Separators: one space after each column but the last.
            if cols - fixed - 5 >= 43 {
                let available = cols - fixed - 5
                did = 16
                handle = (available - did + 1) / 2
                pds = available - did - handle
            } else {
                let available = max(cols - fixed - 4, 12)
                did = min(16, available / 2)
                handle = available - did
                pds = 0
            }
        }
    }
}
