//! `searchSynonyms` and `setSearchSynonyms`: admins read and replace the search dictionary,
//! checked and versioned (`search::synonyms`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::dictionary::{Concern, Entry, SynonymKind};
use super::synonyms::{self, Stored};
use crate::context::CtxExt;
use crate::scalars::Instant;

/// One entry of the search dictionary.
#[derive(SimpleObject, Clone)]
pub struct SearchSynonymEntry {
    pub kind: SynonymKind,
    /// The concern a `CONCERN` entry stands for; null for the other kinds.
    pub concern: Option<Concern>,
    /// Phrases that find each other: a query with any of them finds text with any of them.
    pub phrases: Vec<String>,
    /// Phrases the `phrases` also find, one way: a query with one of these does not find the
    /// `phrases` back (how citizens describe what officials search for).
    pub expansions: Vec<String>,
}

impl From<&Entry> for SearchSynonymEntry {
    fn from(e: &Entry) -> Self {
        SearchSynonymEntry {
            kind: e.kind,
            concern: e.concern,
            phrases: e.phrases.clone(),
            expansions: e.expansions.clone(),
        }
    }
}

/// The search dictionary in use.
pub struct SearchSynonyms {
    stored: Stored,
    places: Vec<Entry>,
}

/// The dictionary of the administration's language that every search applies to its query:
/// abbreviations, everyday names of procedures and papers, concerns, and the catalog's places.
#[Object]
impl SearchSynonyms {
    /// Raised by one on every change; 0 is the default shipped with this release.
    async fn version(&self) -> i64 {
        self.stored.version
    }
    /// Whether this is the release's default (nothing stored yet).
    async fn is_default(&self) -> bool {
        self.stored.version == 0
    }
    /// `default`, `graphql` (setSearchSynonyms) or `import` (`portal import synonyms`).
    async fn source(&self) -> &str {
        &self.stored.source
    }
    async fn updated_at(&self) -> Option<Instant> {
        self.stored.created_at.map(Instant::from)
    }
    /// The account that stored this version (null for the default and for imports).
    async fn updated_by(&self) -> Option<ID> {
        self.stored.created_by.clone().map(ID)
    }
    /// The entries admins edit.
    async fn entries(&self) -> Vec<SearchSynonymEntry> {
        self.stored.entries.iter().map(Into::into).collect()
    }
    /// The places generated from the unit catalog, ended units included (`Quận 1` = `Q1` =
    /// `Q.1` = `quận Một`): read only, they follow the catalog.
    async fn places(&self) -> Vec<SearchSynonymEntry> {
        self.places.iter().map(Into::into).collect()
    }
    /// The entries in the file format `portal import synonyms` reads.
    async fn text(&self) -> String {
        super::dictionary::to_text(&self.stored.entries)
    }
}

/// One entry to store.
#[derive(InputObject)]
pub struct SearchSynonymEntryInput {
    /// `ABBREVIATION`, `EVERYDAY_NAME` or `CONCERN` (places come from the unit catalog).
    pub kind: SynonymKind,
    /// Required for a `CONCERN` entry, refused for the others.
    pub concern: Option<Concern>,
    /// 1 to 8 words each, letters, digits and spaces only, at most 100 characters.
    pub phrases: Vec<String>,
    #[graphql(default)]
    pub expansions: Vec<String>,
}

#[derive(InputObject)]
pub struct SetSearchSynonymsInput {
    /// The version the entries were edited from (`searchSynonyms.version`): a change made
    /// meanwhile is not overwritten (`CONFLICT`). A retry of a change already stored returns it.
    pub expected_version: i64,
    /// The whole dictionary: it replaces the entries of `expectedVersion`.
    pub entries: Vec<SearchSynonymEntryInput>,
}

async fn current(ctx: &Context<'_>, stored: Stored) -> SearchSynonyms {
    let places = ctx.state().search.lexicon().current().places.clone();
    SearchSynonyms { stored, places }
}

#[derive(Default)]
pub struct SearchSynonymsQuery;

#[Object]
impl SearchSynonymsQuery {
    /// Admins: the search dictionary in use.
    async fn search_synonyms(&self, ctx: &Context<'_>) -> async_graphql::Result<SearchSynonyms> {
        crate::access::require_dictionary_editor(ctx.actor())?;
        let stored = synonyms::stored(&ctx.state().db).await?;
        Ok(current(ctx, stored).await)
    }
}

#[derive(Default)]
pub struct SearchSynonymsMutation;

#[Object]
impl SearchSynonymsMutation {
    /// Admins: replaces the search dictionary with a new version, checked entry by entry. It
    /// applies to the next query on both engines without a reindex; a change to the concern
    /// groups queues every complaint for indexing, so that the flags follow.
    async fn set_search_synonyms(
        &self,
        ctx: &Context<'_>,
        input: SetSearchSynonymsInput,
    ) -> async_graphql::Result<SearchSynonyms> {
        let p = crate::access::require_dictionary_editor(ctx.actor())?;
        let entries: Vec<Entry> = input
            .entries
            .into_iter()
            .map(|e| Entry {
                kind: e.kind,
                concern: e.concern,
                phrases: e
                    .phrases
                    .iter()
                    .map(|x| crate::text::nfc(x.trim()))
                    .collect(),
                expansions: e
                    .expansions
                    .iter()
                    .map(|x| crate::text::nfc(x.trim()))
                    .collect(),
            })
            .collect();
        let state = ctx.state();
        let stored = synonyms::replace(
            &state.db,
            Some(&state.search),
            p.account_id.clone(),
            input.expected_version,
            entries,
            "graphql",
            "input.entries",
        )
        .await?;
        Ok(current(ctx, stored).await)
    }
}
