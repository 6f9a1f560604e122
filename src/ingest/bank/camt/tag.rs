//! The element names the camt reader looks at, as a small enum: an open
//! element is classified once, at its start tag, and paths are then
//! compared as enums instead of strings.

/// A camt element, by local name (the part after the prefix). Names the
/// reader has no rule for are `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tag {
    Document,
    /// Any name starting with `BkToCstmr` (`BkToCstmrStmt`,
    /// `BkToCstmrAcctRpt`, `BkToCstmrDbtCdtNtfctn`).
    BkToCstmr,
    /// `Stmt`, `Ntfctn` or `Rpt`: a statement.
    Stmt,
    /// `StmtPgntn`, `NtfctnPgntn` or `RptPgntn`.
    Pgntn,
    GrpHdr,
    MsgPgntn,
    PgNb,
    LastPgInd,
    CreDtTm,
    Acct,
    Id,
    Iban,
    Othr,
    Ccy,
    Bal,
    Tp,
    CdOrPrtry,
    Cd,
    Prtry,
    Amt,
    CdtDbtInd,
    TxsSummry,
    TtlNtries,
    TtlCdtNtries,
    TtlDbtNtries,
    NbOfNtries,
    Sum,
    TtlNetNtryAmt,
    TtlNetNtry,
    Ntry,
    RvslInd,
    Sts,
    BookgDt,
    ValDt,
    Dt,
    DtTm,
    AcctSvcrRef,
    TxDtls,
    Refs,
    AmtDtls,
    TxAmt,
    RmtInf,
    Strd,
    CdtrRefInf,
    Ref,
    Ustrd,
    RltdPties,
    Dbtr,
    Pty,
    Nm,
    Other,
}

impl Tag {
    /// The tag of a local name (case-sensitive, as XML names are). Matched
    /// as bytes: the compiler turns that into a decision tree on length and
    /// bytes, with no string comparisons.
    #[inline]
    pub(super) fn of(local: &[u8]) -> Tag {
        match local {
            b"Document" => Tag::Document,
            b"Stmt" | b"Ntfctn" | b"Rpt" => Tag::Stmt,
            b"StmtPgntn" | b"NtfctnPgntn" | b"RptPgntn" => Tag::Pgntn,
            b"GrpHdr" => Tag::GrpHdr,
            b"MsgPgntn" => Tag::MsgPgntn,
            b"PgNb" => Tag::PgNb,
            b"LastPgInd" => Tag::LastPgInd,
            b"CreDtTm" => Tag::CreDtTm,
            b"Acct" => Tag::Acct,
            b"Id" => Tag::Id,
            b"IBAN" => Tag::Iban,
            b"Othr" => Tag::Othr,
            b"Ccy" => Tag::Ccy,
            b"Bal" => Tag::Bal,
            b"Tp" => Tag::Tp,
            b"CdOrPrtry" => Tag::CdOrPrtry,
            b"Cd" => Tag::Cd,
            b"Prtry" => Tag::Prtry,
            b"Amt" => Tag::Amt,
            b"CdtDbtInd" => Tag::CdtDbtInd,
            b"TxsSummry" => Tag::TxsSummry,
            b"TtlNtries" => Tag::TtlNtries,
            b"TtlCdtNtries" => Tag::TtlCdtNtries,
            b"TtlDbtNtries" => Tag::TtlDbtNtries,
            b"NbOfNtries" => Tag::NbOfNtries,
            b"Sum" => Tag::Sum,
            b"TtlNetNtryAmt" => Tag::TtlNetNtryAmt,
            b"TtlNetNtry" => Tag::TtlNetNtry,
            b"Ntry" => Tag::Ntry,
            b"RvslInd" => Tag::RvslInd,
            b"Sts" => Tag::Sts,
            b"BookgDt" => Tag::BookgDt,
            b"ValDt" => Tag::ValDt,
            b"Dt" => Tag::Dt,
            b"DtTm" => Tag::DtTm,
            b"AcctSvcrRef" => Tag::AcctSvcrRef,
            b"TxDtls" => Tag::TxDtls,
            b"Refs" => Tag::Refs,
            b"AmtDtls" => Tag::AmtDtls,
            b"TxAmt" => Tag::TxAmt,
            b"RmtInf" => Tag::RmtInf,
            b"Strd" => Tag::Strd,
            b"CdtrRefInf" => Tag::CdtrRefInf,
            b"Ref" => Tag::Ref,
            b"Ustrd" => Tag::Ustrd,
            b"RltdPties" => Tag::RltdPties,
            b"Dbtr" => Tag::Dbtr,
            b"Pty" => Tag::Pty,
            b"Nm" => Tag::Nm,
            _ if local.starts_with(b"BkToCstmr") => Tag::BkToCstmr,
            _ => Tag::Other,
        }
    }
}

impl Tag {
    /// true if a reading rule may read an element with this tag: it ends
    /// some rule's path (`GroupRule`, `StmtRule`, `BalRule`, `NtryRule`,
    /// `TxRule` in mod.rs). The pagination rules take any leaf below
    /// `*Pgntn`/`MsgPgntn` but only `PgNb` and `LastPgInd` change anything.
    /// No rule applies to an element with any other tag, so its end is not
    /// looked up (the test `only_read_tags_have_rules` checks this).
    pub(super) fn is_read(self) -> bool {
        matches!(
            self,
            Tag::Amt
                | Tag::CdtDbtInd
                | Tag::RvslInd
                | Tag::Sts
                | Tag::Cd
                | Tag::Prtry
                | Tag::Dt
                | Tag::DtTm
                | Tag::AcctSvcrRef
                | Tag::Ref
                | Tag::Ustrd
                | Tag::Nm
                | Tag::Iban
                | Tag::Id
                | Tag::CreDtTm
                | Tag::Ccy
                | Tag::PgNb
                | Tag::LastPgInd
                | Tag::NbOfNtries
                | Tag::Sum
                | Tag::TtlNetNtryAmt
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_tags() {
        assert_eq!(Tag::of(b"IBAN"), Tag::Iban);
        assert_eq!(Tag::of(b"Ntfctn"), Tag::Stmt);
        assert_eq!(Tag::of(b"RptPgntn"), Tag::Pgntn);
        assert_eq!(Tag::of(b"BkToCstmrDbtCdtNtfctn"), Tag::BkToCstmr);
        assert_eq!(Tag::of(b"BkToCstmr"), Tag::BkToCstmr);
        assert_eq!(Tag::of(b"ntry"), Tag::Other);
        assert_eq!(Tag::of(b""), Tag::Other);
    }
}
