//! The matrix's lines: each layer (expandable to its components) with one cell per
//! environment: a glyph and counts, coloured by the cell's state; stale and unknown cells say
//! so.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::fmt::{cell_role, verdict_glyph};
use crate::domain::argocd::HealthStatus;
use crate::domain::estate::{CellState, Matrix, Rollup};
use crate::domain::layer::Layer;
use crate::theme::Role;
use crate::ui::matrix::{MatrixCell, MatrixLine};

/// What a matrix line stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineId {
    Layer(Layer),
    Component(Layer, Arc<str>),
}

impl LineId {
    pub fn layer(&self) -> Layer {
        match self {
            LineId::Layer(layer) | LineId::Component(layer, _) => *layer,
        }
    }
}

/// The text of one cell.
pub fn cell(layer: Layer, rollup: &Rollup) -> MatrixCell {
    let role = cell_role(rollup.state);
    let counts = if layer == Layer::Infrastructure {
        let c = rollup.checks;
        let mut text = format!("{}/{}", c.pass, c.total());
        if c.fail > 0 {
            text.push_str(&format!(" ✗{}", c.fail));
        }
        if c.warn > 0 {
            text.push_str(&format!(" ▲{}", c.warn));
        }
        text
    } else {
        let mut text = format!(
            "{}/{}",
            rollup.health.get(HealthStatus::Healthy),
            rollup.apps()
        );
        if rollup.out_of_sync > 0 {
            text.push_str(&format!(" ≠{}", rollup.out_of_sync));
        }
        if rollup.operations_running > 0 {
            text.push_str(&format!(" ⟳{}", rollup.operations_running));
        }
        text
    };
    let text = match rollup.state {
        CellState::Empty => "-".to_string(),
        CellState::Live(verdict) => format!("{} {counts}", verdict_glyph(verdict)),
        CellState::Stale { .. } => format!("◌ stale {counts}"),
        CellState::Unknown(reason) => format!("? {reason}"),
    };
    MatrixCell { text, role }
}

fn empty() -> MatrixCell {
    MatrixCell {
        text: "-".into(),
        role: Role::Muted,
    }
}

/// The visible lines for the layers in `expanded`, and what each stands for.
pub fn lines(matrix: &Matrix, expanded: &BTreeSet<Layer>) -> (Vec<MatrixLine>, Vec<LineId>) {
    let mut lines = Vec::new();
    let mut ids = Vec::new();
    for layer in Layer::ALL {
        let cells = matrix
            .environments
            .iter()
            .map(|env| {
                matrix
                    .cell(layer, env)
                    .map_or_else(empty, |r| cell(layer, r))
            })
            .collect();
        let open = expanded.contains(&layer);
        let has_components = matrix.components_of(layer).next().is_some();
        lines.push(MatrixLine {
            label: layer.title().to_string(),
            depth: 0,
            expanded: has_components.then_some(open),
            cells,
        });
        ids.push(LineId::Layer(layer));
        if !open {
            continue;
        }
        for row in matrix.components_of(layer) {
            lines.push(MatrixLine {
                label: row.component.to_string(),
                depth: 1,
                expanded: None,
                cells: row.cells.iter().map(|r| cell(layer, r)).collect(),
            });
            ids.push(LineId::Component(layer, row.component.clone()));
        }
    }
    (lines, ids)
}
