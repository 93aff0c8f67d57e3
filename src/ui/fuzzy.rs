//! Fuzzy matching (nucleo-matcher) with the matched characters, for the palette and filters.
//!
//! The query is read like fzf's: words match independently; `'word` is exact, `^word` a
//! prefix, `word$` a suffix, `!word` excludes. Case is smart: all lowercase ignores case.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// A compiled query with its matcher (which owns scratch memory: build one per query).
pub struct Fuzzy {
    matcher: Matcher,
    pattern: Pattern,
    chars: Vec<char>,
    indices: Vec<u32>,
}

/// A successful match: higher scores are better; `chars` are the matched char positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzyMatch {
    pub score: u32,
    pub chars: Vec<usize>,
}

impl Fuzzy {
    pub fn new(query: &str) -> Fuzzy {
        Fuzzy {
            matcher: Matcher::new(Config::DEFAULT),
            pattern: Pattern::parse(query, CaseMatching::Smart, Normalization::Smart),
            chars: Vec::new(),
            indices: Vec::new(),
        }
    }

    /// True when the query has no words: everything matches with score 0.
    pub fn is_empty(&self) -> bool {
        self.pattern.atoms.is_empty()
    }

    pub fn score(&mut self, text: &str) -> Option<u32> {
        let haystack = Utf32Str::new(text, &mut self.chars);
        self.pattern.score(haystack, &mut self.matcher)
    }

    /// The score and matched char positions (sorted, unique).
    pub fn find(&mut self, text: &str) -> Option<FuzzyMatch> {
        self.indices.clear();
        let haystack = Utf32Str::new(text, &mut self.chars);
        let score = self
            .pattern
            .indices(haystack, &mut self.matcher, &mut self.indices)?;
        self.indices.sort_unstable();
        self.indices.dedup();
        Some(FuzzyMatch {
            score,
            chars: self.indices.iter().map(|&i| i as usize).collect(),
        })
    }
}

impl std::fmt::Debug for Fuzzy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fuzzy").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_subsequences_and_ranks_tighter_matches_higher() {
        let mut fuzzy = Fuzzy::new("kcl");
        let tight = fuzzy.find("keycloak").expect("matches");
        assert_eq!(tight.chars, vec![0, 3, 4]);
        assert!(fuzzy.find("jupyterhub").is_none());
        let mut sync = Fuzzy::new("sync");
        let exact = sync.score("sync").expect("matches");
        let loose = sync.score("sync-prune").expect("matches");
        assert!(exact >= loose);
        let scattered = sync.score("s-y-n-c-thing").expect("matches");
        assert!(loose > scattered);
    }

    #[test]
    fn empty_queries_match_everything_and_words_all_match() {
        let mut empty = Fuzzy::new("  ");
        assert!(empty.is_empty());
        assert_eq!(empty.score("anything"), Some(0));
        let mut words = Fuzzy::new("web prd");
        assert!(words.score("web-prd").is_some());
        assert!(words.score("web-dev").is_none());
        let mut negated = Fuzzy::new("web !dev");
        assert!(negated.score("web-prd").is_some());
        assert!(negated.score("web-dev").is_none());
    }

    #[test]
    fn smart_case() {
        assert!(Fuzzy::new("web").score("WEB").is_some());
        assert!(Fuzzy::new("Web").score("web").is_none());
    }
}
