//! Creditors' receivables exports. The canonical CSV first
//! (`schemas/receivables.csv.md`); UBL and Finvoice come later.

pub mod csv;
