-- The narrowest grants of the job's two database roles (README, Security).
-- Replace arena_exporter and arena_publisher with the roles' names. Tested
-- as written (internal/store/grants_test.go, internal/export/grants_test.go).

-- battles-export reads the qualifying battles, the models' slugs and the
-- leaderboards' names: SELECT on those columns, nothing else. (With
-- STYLE_CONTROL=true it also reads api.battle_round and api.message.)
GRANT USAGE ON SCHEMA api TO arena_exporter;
GRANT SELECT (id, model1_id, model2_id, created_at, effective_validation_id, effective_categorization_id)
	ON api.battle TO arena_exporter;
GRANT SELECT (battle_id, outcome) ON api.battle_evaluation TO arena_exporter;
GRANT SELECT (id, is_biomedical) ON api.battle_validation TO arena_exporter;
GRANT SELECT (id, status) ON api.battle_categorization TO arena_exporter;
GRANT SELECT (categorization_id, category) ON api.battle_categorization_category TO arena_exporter;
GRANT SELECT (id, slug) ON api.model TO arena_exporter;
GRANT SELECT (slug, name) ON api.leaderboard TO arena_exporter;

-- snapshot-publish inserts a snapshot and its entries and then makes the
-- snapshot visible. It never changes an entry, nor anything of a snapshot
-- but its visibility and updated_at: past leaderboards stay as published.
GRANT USAGE ON SCHEMA api TO arena_publisher;
GRANT SELECT (id, slug, name) ON api.leaderboard TO arena_publisher;
GRANT SELECT (id, slug, name, organization, license, external_link) ON api.model TO arena_publisher;
GRANT SELECT (id, leaderboard_id, snapshot_identifier, description, visibility, created_at),
	INSERT (leaderboard_id, snapshot_identifier, description, visibility, created_at, updated_at),
	UPDATE (visibility, updated_at)
	ON api.leaderboard_snapshot TO arena_publisher;
GRANT SELECT (snapshot_id, model_id, rank, bt_score, bootstrap_q025, bootstrap_q975, vote_count),
	INSERT (leaderboard_id, model_id, snapshot_id, bt_score, vote_count, rank, bootstrap_q025, bootstrap_q975, created_at)
	ON api.leaderboard_entry TO arena_publisher;
