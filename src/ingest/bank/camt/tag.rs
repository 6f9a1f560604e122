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
    /// The tag of a local name (case-sensitive, as XML names are).
    pub(super) fn of(local: &str) -> Tag {
        match local {
            "Document" => Tag::Document,
            "Stmt" | "Ntfctn" | "Rpt" => Tag::Stmt,
            "StmtPgntn" | "NtfctnPgntn" | "RptPgntn" => Tag::Pgntn,
            "GrpHdr" => Tag::GrpHdr,
            "MsgPgntn" => Tag::MsgPgntn,
            "PgNb" => Tag::PgNb,
            "LastPgInd" => Tag::LastPgInd,
            "CreDtTm" => Tag::CreDtTm,
            "Acct" => Tag::Acct,
            "Id" => Tag::Id,
            "IBAN" => Tag::Iban,
            "Othr" => Tag::Othr,
            "Ccy" => Tag::Ccy,
            "Bal" => Tag::Bal,
            "Tp" => Tag::Tp,
            "CdOrPrtry" => Tag::CdOrPrtry,
            "Cd" => Tag::Cd,
            "Prtry" => Tag::Prtry,
            "Amt" => Tag::Amt,
            "CdtDbtInd" => Tag::CdtDbtInd,
            "TxsSummry" => Tag::TxsSummry,
            "TtlNtries" => Tag::TtlNtries,
            "TtlCdtNtries" => Tag::TtlCdtNtries,
            "TtlDbtNtries" => Tag::TtlDbtNtries,
            "NbOfNtries" => Tag::NbOfNtries,
            "Sum" => Tag::Sum,
            "TtlNetNtryAmt" => Tag::TtlNetNtryAmt,
            "TtlNetNtry" => Tag::TtlNetNtry,
            "Ntry" => Tag::Ntry,
            "RvslInd" => Tag::RvslInd,
            "Sts" => Tag::Sts,
            "BookgDt" => Tag::BookgDt,
            "ValDt" => Tag::ValDt,
            "Dt" => Tag::Dt,
            "DtTm" => Tag::DtTm,
            "AcctSvcrRef" => Tag::AcctSvcrRef,
            "TxDtls" => Tag::TxDtls,
            "Refs" => Tag::Refs,
            "AmtDtls" => Tag::AmtDtls,
            "TxAmt" => Tag::TxAmt,
            "RmtInf" => Tag::RmtInf,
            "Strd" => Tag::Strd,
            "CdtrRefInf" => Tag::CdtrRefInf,
            "Ref" => Tag::Ref,
            "Ustrd" => Tag::Ustrd,
            "RltdPties" => Tag::RltdPties,
            "Dbtr" => Tag::Dbtr,
            "Pty" => Tag::Pty,
            "Nm" => Tag::Nm,
            _ if local.starts_with("BkToCstmr") => Tag::BkToCstmr,
            _ => Tag::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_tags() {
        assert_eq!(Tag::of("IBAN"), Tag::Iban);
        assert_eq!(Tag::of("Ntfctn"), Tag::Stmt);
        assert_eq!(Tag::of("RptPgntn"), Tag::Pgntn);
        assert_eq!(Tag::of("BkToCstmrDbtCdtNtfctn"), Tag::BkToCstmr);
        assert_eq!(Tag::of("BkToCstmr"), Tag::BkToCstmr);
        assert_eq!(Tag::of("ntry"), Tag::Other);
        assert_eq!(Tag::of(""), Tag::Other);
    }
}
