-- A few battles with fixed ids for the command-line scripts: three qualify
-- (one with two categories, one with an abstained categorization), one is
-- not biomedical, one has no evaluation.
INSERT INTO api.model (id, slug, name, license, active, external_link, api_model_name, api_base) VALUES
    ('00000000-0000-0000-0000-00000000000a', 'gpt-4o', 'GPT-4o', 'proprietary', true, 'https://example.org', 'gpt-4o', 'https://api.example.org'),
    ('00000000-0000-0000-0000-00000000000b', 'biomistral-7b', 'BioMistral 7B', 'open-source', true, 'https://example.org', 'biomistral-7b', 'https://api.example.org');

INSERT INTO api.battle (id, user_id, model1_id, model2_id, created_at) VALUES
    ('00000000-0000-0000-0000-000000000001', gen_random_uuid(), '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b', '2025-01-01 10:00:00+00'),
    ('00000000-0000-0000-0000-000000000002', gen_random_uuid(), '00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000a', '2025-01-02 10:00:00.5+00'),
    ('00000000-0000-0000-0000-000000000003', gen_random_uuid(), '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b', '2025-01-03 10:00:00+00'),
    ('00000000-0000-0000-0000-000000000004', gen_random_uuid(), '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b', '2025-01-04 10:00:00+00'),
    ('00000000-0000-0000-0000-000000000005', gen_random_uuid(), '00000000-0000-0000-0000-00000000000a', '00000000-0000-0000-0000-00000000000b', '2025-01-05 10:00:00+00');

INSERT INTO api.battle_evaluation (battle_id, outcome) VALUES
    ('00000000-0000-0000-0000-000000000001', 'model1'),
    ('00000000-0000-0000-0000-000000000002', 'tie'),
    ('00000000-0000-0000-0000-000000000003', 'model1'),
    ('00000000-0000-0000-0000-000000000004', 'model2');

INSERT INTO api.battle_validation (id, battle_id, method, confidence, is_biomedical) VALUES
    ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-000000000001', 'test', 0.9, true),
    ('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-000000000002', 'test', 0.9, true),
    ('00000000-0000-0000-0000-0000000000f3', '00000000-0000-0000-0000-000000000003', 'test', 0.9, true),
    ('00000000-0000-0000-0000-0000000000f4', '00000000-0000-0000-0000-000000000004', 'test', 0.9, false),
    ('00000000-0000-0000-0000-0000000000f5', '00000000-0000-0000-0000-000000000005', 'test', 0.9, true);

INSERT INTO api.battle_categorization (id, battle_id, method, status) VALUES
    ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-000000000001', 'test', 'matched'),
    ('00000000-0000-0000-0000-0000000000c2', '00000000-0000-0000-0000-000000000002', 'test', 'abstained'),
    ('00000000-0000-0000-0000-0000000000c3', '00000000-0000-0000-0000-000000000003', 'test', 'matched');

INSERT INTO api.battle_categorization_category (categorization_id, category) VALUES
    ('00000000-0000-0000-0000-0000000000c1', 'immunology'),
    ('00000000-0000-0000-0000-0000000000c1', 'genomics'),
    ('00000000-0000-0000-0000-0000000000c3', 'genomics');

UPDATE api.battle b SET effective_validation_id = v.id FROM api.battle_validation v WHERE v.battle_id = b.id;
UPDATE api.battle b SET effective_categorization_id = c.id FROM api.battle_categorization c WHERE c.battle_id = b.id;
