package export

// Style features (battles-export --style), computed by the database so
// that answer text never leaves it: for each battle and side, over the
// battle's rounds (api.battle_round), the answers' (api.message, through
// model1_message_id and model2_message_id) length in characters and, with
// fenced code blocks (```…```) removed first, their markdown header lines,
// list items (ordered and unordered) and bold spans (** and __). The
// patterns are those that produced the public arena datasets'
// conv_metadata (FastChat), with PostgreSQL's newline-sensitive matching
// ('n') standing for Python's re.MULTILINE:
//
//	headers    ^#{1,6}\s
//	lists      ^\s*[-*+]\s  and  ^\s*\d+\.\s
//	bold       \*\*[^*\n]+\*\*  and  __[^_\n]+__
//
// The two list patterns run as one alternation (at a line start at most
// one of them can match, so the count is their sum); a pattern runs only on
// text holding the characters it needs (strpos), code blocks are removed
// only from text that has one: each regular expression is a pass over the
// text, the most of the query's time.
//
// A missing answer (a NULL message id) counts 0. The rounds are unpivoted
// to one row per answer so that each message is read, and its code blocks
// removed, once; the features are then summed per battle and side, for
// all battles at once (a grouped join, as the categories are).
const styleFeatures = `SELECT r.battle_id,
		sum(f.length) FILTER (WHERE a.side = 1) AS a_length,
		sum(f.headers) FILTER (WHERE a.side = 1) AS a_headers,
		sum(f.lists) FILTER (WHERE a.side = 1) AS a_lists,
		sum(f.bold) FILTER (WHERE a.side = 1) AS a_bold,
		sum(f.length) FILTER (WHERE a.side = 2) AS b_length,
		sum(f.headers) FILTER (WHERE a.side = 2) AS b_headers,
		sum(f.lists) FILTER (WHERE a.side = 2) AS b_lists,
		sum(f.bold) FILTER (WHERE a.side = 2) AS b_bold
	FROM api.battle_round r
	CROSS JOIN LATERAL (VALUES (1, r.model1_message_id), (2, r.model2_message_id)) a(side, message_id)
	JOIN api.message m ON m.id = a.message_id
	CROSS JOIN LATERAL (SELECT CASE WHEN strpos(m.content, '` + "```" + `') > 0
		THEN regexp_replace(m.content, '` + "```[^`]*```" + `', '', 'g') ELSE m.content END AS text) t
	CROSS JOIN LATERAL (SELECT char_length(m.content) AS length,
		CASE WHEN strpos(t.text, '#') > 0 THEN regexp_count(t.text, '^#{1,6}\s', 1, 'n') ELSE 0 END AS headers,
		regexp_count(t.text, '^\s*([-*+]|\d+\.)\s', 1, 'n') AS lists,
		CASE WHEN strpos(t.text, '**') > 0 THEN regexp_count(t.text, '\*\*[^*\n]+\*\*', 1, 'n') ELSE 0 END
		+ CASE WHEN strpos(t.text, '__') > 0 THEN regexp_count(t.text, '__[^_\n]+__', 1, 'n') ELSE 0 END AS bold) f
	GROUP BY r.battle_id`

// styleJoin adds the features to the battle query as the relation s.
const styleJoin = "\nLEFT JOIN (" + styleFeatures + ") s ON s.battle_id = b.id"

// styleColumns are the battle query's feature columns, in StyleRecord
// order: a's length, headers, lists, bold, then b's.
const styleColumns = `, coalesce(s.a_length, 0), coalesce(s.a_headers, 0), coalesce(s.a_lists, 0), coalesce(s.a_bold, 0),
	coalesce(s.b_length, 0), coalesce(s.b_headers, 0), coalesce(s.b_lists, 0), coalesce(s.b_bold, 0)`
