-- Deterministic demo data for the arena schema (load after testdata/schema.sql).
--
-- About 20 models with real-looking slugs and names (some inactive) and
-- about 20,000 battles whose outcomes are drawn from hidden strengths
-- (Bradley-Terry, Elo scale). Some battles have no evaluation, some no
-- validation; about 10% are not biomedical; some battles carry an older,
-- non-effective validation that disagrees with the effective one and an
-- older, non-effective categorization with another category; effective
-- categorizations are matched (one to three categories), abstained or
-- failed. Six categories are popular, a few are medium, and ten are so
-- sparse that rank skips them. Each battle has one round with the prompt
-- and both answers (api.battle_round, api.message).
--
-- Everything is made in SQL from setseed and generate_series, and every id
-- is an md5 of a name, so two loads give identical databases.
--
-- The size can be changed for benchmarks (scripts/bench-db.sh does it):
--   SET arena.demo_battles = '1000000'; SET arena.demo_models = '30';
--   SET arena.demo_answers = 'off';   -- no rounds and messages
-- Models beyond the 20 named ones get generated slugs (model-21, ...).

SELECT setseed(0.20250101);

CREATE TEMP TABLE demo_param AS
SELECT coalesce(nullif(current_setting('arena.demo_battles', true), ''), '20000')::int AS battles,
       coalesce(nullif(current_setting('arena.demo_models', true), ''), '20')::int     AS models;

-- Models with their hidden strengths (Elo-like: a 400-point gap is 10:1 odds).
CREATE TEMP TABLE demo_model (
    idx      int PRIMARY KEY,
    slug     text NOT NULL,
    name     text NOT NULL,
    org      text,
    license  text NOT NULL,
    active   boolean NOT NULL,
    strength float8 NOT NULL
);

INSERT INTO demo_model
SELECT v.idx, v.slug, v.name, v.org, v.license, v.active, v.strength
FROM (VALUES
    (1,  'gpt-4o',                  'GPT-4o',                    'OpenAI',          'proprietary', true,  1160.0),
    (2,  'claude-3-5-sonnet',       'Claude 3.5 Sonnet',         'Anthropic',       'proprietary', true,  1170.0),
    (3,  'gemini-1-5-pro',          'Gemini 1.5 Pro',            'Google',          'proprietary', true,  1130.0),
    (4,  'o1-mini',                 'o1-mini',                   'OpenAI',          'proprietary', true,  1120.0),
    (5,  'llama-3-1-405b-instruct', 'Llama 3.1 405B Instruct',   'Meta',            'open-source', true,  1110.0),
    (6,  'deepseek-v3',             'DeepSeek-V3',               'DeepSeek',        'open-source', true,  1105.0),
    (7,  'qwen-2-5-72b-instruct',   'Qwen2.5 72B Instruct',      'Alibaba',         'open-source', true,  1080.0),
    (8,  'gpt-4o-mini',             'GPT-4o mini',               'OpenAI',          'proprietary', true,  1060.0),
    (9,  'llama-3-1-70b-instruct',  'Llama 3.1 70B Instruct',    'Meta',            'open-source', true,  1050.0),
    (10, 'mistral-large-2',         'Mistral Large 2',           'Mistral AI',      'open-source', true,  1040.0),
    (11, 'claude-3-opus',           'Claude 3 Opus',             'Anthropic',       'proprietary', false, 1100.0),
    (12, 'claude-3-5-haiku',        'Claude 3.5 Haiku',          'Anthropic',       'proprietary', true,  1020.0),
    (13, 'gemini-1-5-flash',        'Gemini 1.5 Flash',          'Google',          'proprietary', false, 1000.0),
    (14, 'command-r-plus',          'Command R+',                'Cohere',          'open-source', true,   960.0),
    (15, 'openbiollm-70b',          'OpenBioLLM 70B',            'Saama AI',        'open-source', true,   980.0),
    (16, 'med42-v2-70b',            'Med42-v2 70B',              'M42 Health',      'open-source', true,   970.0),
    (17, 'mixtral-8x22b-instruct',  'Mixtral 8x22B Instruct',    'Mistral AI',      'open-source', false,  950.0),
    (18, 'llama-3-1-8b-instruct',   'Llama 3.1 8B Instruct',     'Meta',            'open-source', true,   880.0),
    (19, 'meditron-70b',            'Meditron 70B',              'EPFL',            'open-source', false,  860.0),
    (20, 'biomistral-7b',           'BioMistral 7B',             'BioMistral',      'open-source', true,   800.0)
) AS v (idx, slug, name, org, license, active, strength), demo_param p
WHERE v.idx <= p.models;

INSERT INTO demo_model
SELECT g, format('model-%s', g), format('Bench Model %s', g), 'Bench Labs', 'open-source', g % 7 <> 0,
       850 + 300 * random()
FROM demo_param p, generate_series(21, p.models) AS g;

ALTER TABLE demo_model ADD COLUMN id uuid;
UPDATE demo_model SET id = md5('model:' || slug)::uuid;

INSERT INTO api.model (id, slug, name, license, active, external_link, organization,
                       api_model_name, api_base, created_at, updated_at)
SELECT id, slug, name, license, active, 'https://example.org/models/' || slug, org,
       slug, 'https://api.example.org/v1', timestamptz '2024-06-01 00:00:00+00' + idx * interval '1 day',
       timestamptz '2024-06-01 00:00:00+00' + idx * interval '1 day'
FROM demo_model;

-- Categories with their popularity: six popular, four medium, ten sparse.
CREATE TEMP TABLE demo_category (idx int PRIMARY KEY, slug text NOT NULL, weight float8 NOT NULL);
INSERT INTO demo_category VALUES
    (1,  'genomics',                    0.200),
    (2,  'clinical-trials',             0.180),
    (3,  'pharmacology-and-toxicology', 0.160),
    (4,  'immunology',                  0.140),
    (5,  'neuroscience',                0.120),
    (6,  'cancer-biology',              0.100),
    (7,  'genetics',                    0.025),
    (8,  'microbiology',                0.025),
    (9,  'epidemiology',                0.020),
    (10, 'molecular-biology',           0.010),
    (11, 'biochemistry',                0.002),
    (12, 'bioengineering',              0.002),
    (13, 'bioinformatics',              0.002),
    (14, 'cell-biology',                0.002),
    (15, 'developmental-biology',       0.002),
    (16, 'evolutionary-biology',        0.002),
    (17, 'pathology',                   0.002),
    (18, 'physiology',                  0.002),
    (19, 'synthetic-biology',           0.002),
    (20, 'systems-biology',             0.002);

-- Lower bounds of each category's slice of [0, 1), for width_bucket.
CREATE TEMP TABLE demo_category_bounds AS
SELECT array_agg(lo ORDER BY idx) AS bounds
FROM (SELECT idx, coalesce(sum(weight) OVER (ORDER BY idx ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                  / sum(weight) OVER () AS lo
      FROM demo_category) s;

-- One row per battle with every random draw it needs, in a fixed order.
CREATE TEMP TABLE demo_battle AS
SELECT s.g, s.i1, 1 + (s.i1 - 1 + s.d) % p.models AS i2,
       s.r_eval, s.r_val, s.r_bio, s.r_old_val, s.r_cat, s.r_status, s.r_ncat,
       width_bucket(s.u1, b.bounds) AS c1, width_bucket(s.u2, b.bounds) AS c2, width_bucket(s.u3, b.bounds) AS c3,
       s.r_old_cat, s.r_tie, s.r_win,
       timestamptz '2025-01-01 00:00:00+00'
           + (s.g::float8 * 300 * 86400 / p.battles) * interval '1 second' AS created_at
FROM (SELECT g,
             1 + floor(random() * p.models)::int       AS i1,
             1 + floor(random() * (p.models - 1))::int AS d,
             random() AS r_eval, random() AS r_val, random() AS r_bio, random() AS r_old_val,
             random() AS r_cat, random() AS r_status, random() AS r_ncat,
             random() AS u1, random() AS u2, random() AS u3, random() AS r_old_cat,
             random() AS r_tie, random() AS r_win
      FROM demo_param p, generate_series(1, p.battles) AS g) s,
     demo_param p, demo_category_bounds b;

-- Battles, with their effective validation and categorization, and the
-- validations and categorizations themselves, in one statement: the foreign
-- keys in both directions are checked at its end.
WITH b AS (
    INSERT INTO api.battle (id, user_id, model1_id, model2_id, created_at, ended_at,
                            effective_validation_id, effective_categorization_id)
    SELECT md5('battle:' || d.g)::uuid, md5('user:' || (d.g % 977))::uuid, m1.id, m2.id,
           d.created_at, d.created_at + interval '90 seconds',
           CASE WHEN d.r_val < 0.98 THEN md5('validation:' || d.g)::uuid END,
           CASE WHEN d.r_cat < 0.85 THEN md5('categorization:' || d.g)::uuid END
    FROM demo_battle d
    JOIN demo_model m1 ON m1.idx = d.i1
    JOIN demo_model m2 ON m2.idx = d.i2
    RETURNING 1
), v AS (
    INSERT INTO api.battle_validation (id, battle_id, method, confidence, is_biomedical, reason, created_at)
    SELECT md5('validation:' || d.g)::uuid, md5('battle:' || d.g)::uuid, 'llm-judge',
           round((0.6 + 0.4 * d.r_bio)::numeric, 3), d.r_bio >= 0.10, 'judged by the validator model',
           d.created_at + interval '5 minutes'
    FROM demo_battle d
    WHERE d.r_val < 0.98
    UNION ALL
    -- An older validation that says the opposite; it is not the effective one.
    SELECT md5('validation-old:' || d.g)::uuid, md5('battle:' || d.g)::uuid, 'keyword',
           0.500, d.r_bio < 0.10, 'keyword heuristic', d.created_at + interval '2 minutes'
    FROM demo_battle d
    WHERE d.r_old_val < 0.06
    RETURNING 1
), c AS (
    INSERT INTO api.battle_categorization (id, battle_id, method, reason, status, created_at)
    SELECT md5('categorization:' || d.g)::uuid, md5('battle:' || d.g)::uuid, 'llm-classifier',
           'classified by the categorizer model',
           CASE WHEN d.r_status < 0.85 THEN 'matched' WHEN d.r_status < 0.95 THEN 'abstained' ELSE 'failed' END,
           d.created_at + interval '6 minutes'
    FROM demo_battle d
    WHERE d.r_cat < 0.85
    UNION ALL
    -- An older matched categorization; it is not the effective one.
    SELECT md5('categorization-old:' || d.g)::uuid, md5('battle:' || d.g)::uuid, 'keyword',
           'keyword heuristic', 'matched', d.created_at + interval '3 minutes'
    FROM demo_battle d
    WHERE d.r_old_cat < 0.05
    RETURNING 1
)
SELECT (SELECT count(*) FROM b) AS battles, (SELECT count(*) FROM v) AS validations,
       (SELECT count(*) FROM c) AS categorizations;

INSERT INTO api.battle_categorization_category (categorization_id, category)
SELECT DISTINCT x.id, cat.slug
FROM (SELECT md5('categorization:' || d.g)::uuid AS id, d.c1 AS c FROM demo_battle d
      WHERE d.r_cat < 0.85 AND d.r_status < 0.85
      UNION ALL
      SELECT md5('categorization:' || d.g)::uuid, d.c2 FROM demo_battle d
      WHERE d.r_cat < 0.85 AND d.r_status < 0.85 AND d.r_ncat >= 0.60
      UNION ALL
      SELECT md5('categorization:' || d.g)::uuid, d.c3 FROM demo_battle d
      WHERE d.r_cat < 0.85 AND d.r_status < 0.85 AND d.r_ncat >= 0.90
      UNION ALL
      -- The older categorization names a sparse category the effective one may not.
      SELECT md5('categorization-old:' || d.g)::uuid, 11 + d.g % 10 FROM demo_battle d
      WHERE d.r_old_cat < 0.05) x
JOIN demo_category cat ON cat.idx = x.c;

INSERT INTO api.battle_evaluation (id, battle_id, outcome, created_at)
SELECT md5('evaluation:' || d.g)::uuid, md5('battle:' || d.g)::uuid,
       CASE WHEN d.r_tie < 0.12 THEN 'tie'
            WHEN d.r_win < 1 / (1 + power(10, (m2.strength - m1.strength) / 400)) THEN 'model1'
            ELSE 'model2' END,
       d.created_at + interval '90 seconds'
FROM demo_battle d
JOIN demo_model m1 ON m1.idx = d.i1
JOIN demo_model m2 ON m2.idx = d.i2
WHERE d.r_eval >= 0.05;

-- One round per battle: the user's prompt and each model's answer, whose
-- length, lists and bold spans depend on the model (so that style control
-- has something to measure) and vary with the battle. The benchmark
-- databases leave them out (SET arena.demo_answers = 'off';
-- scripts/bench-db.sh).
INSERT INTO api.message (id, role, content, created_at)
SELECT md5(b.id::text || s.side)::uuid,
       CASE s.side WHEN 'p' THEN 'user' ELSE 'assistant' END,
       CASE s.side WHEN 'p' THEN 'What does this gene do?'
       ELSE repeat(E'- a point with **weight**\n', get_byte(decode(md5(m.slug), 'hex'), 0) % 5)
            || repeat('word ', 20 + get_byte(decode(md5(m.slug), 'hex'), 1) % 200 + get_byte(decode(md5(b.id::text), 'hex'), 0))
       END,
       b.created_at + CASE s.side WHEN 'p' THEN interval '0' ELSE interval '1 minute' END
FROM api.battle b
CROSS JOIN (VALUES ('p'), ('a'), ('b')) s(side)
JOIN api.model m ON m.id = CASE s.side WHEN 'b' THEN b.model2_id ELSE b.model1_id END
WHERE coalesce(nullif(current_setting('arena.demo_answers', true), ''), 'on') <> 'off';

INSERT INTO api.battle_round (id, battle_id, round_number, prompt_message_id, model1_message_id, model2_message_id,
                              created_at, updated_at)
SELECT md5('round:' || b.id::text)::uuid, b.id, 1,
       md5(b.id::text || 'p')::uuid, md5(b.id::text || 'a')::uuid, md5(b.id::text || 'b')::uuid,
       b.created_at, b.created_at + interval '1 minute'
FROM api.battle b
WHERE coalesce(nullif(current_setting('arena.demo_answers', true), ''), 'on') <> 'off';

DROP TABLE demo_battle, demo_category_bounds, demo_category, demo_model, demo_param;
