-- vec: vectors in SQLite, nearest-neighbour search with a metadata filter (docs/vec.md).
CREATE VIRTUAL TABLE films USING vec0(
  embedding float[4] distance_metric=cosine,
  genre text,
  year integer,
  +title text
);
INSERT INTO films(rowid, embedding, genre, year, title) VALUES
  (1, '[0.9, 0.1, 0.0, 0.1]', 'scifi',  1982, 'Blade Runner'),
  (2, '[0.8, 0.2, 0.1, 0.0]', 'scifi',  1999, 'The Matrix'),
  (3, '[0.1, 0.9, 0.2, 0.0]', 'comedy', 1993, 'Groundhog Day'),
  (4, '[0.7, 0.3, 0.0, 0.2]', 'scifi',  2014, 'Interstellar'),
  (5, '[0.2, 0.1, 0.9, 0.1]', 'drama',  1994, 'The Shawshank Redemption'),
  (6, '[0.6, 0.5, 0.1, 0.1]', 'comedy', 1984, 'Ghostbusters');
-- the 3 films nearest to a query vector
SELECT rowid, title, genre, round(distance, 4) AS distance FROM films
WHERE embedding MATCH '[0.85, 0.15, 0.05, 0.1]' AND k = 3;
-- the same search among films made before 2000: the filter runs before the k nearest are
-- chosen, so 3 rows still come back (Interstellar, 2014, gives way to Ghostbusters)
SELECT rowid, title, year, round(distance, 4) AS distance FROM films
WHERE embedding MATCH '[0.85, 0.15, 0.05, 0.1]' AND k = 3 AND year < 2000;
-- and among comedies only
SELECT rowid, title, genre FROM films
WHERE embedding MATCH '[0.85, 0.15, 0.05, 0.1]' AND k = 3 AND genre = 'comedy';
SELECT vec_distance_l2('[0, 0]', '[3, 4]') AS l2, vec_to_json(vec_normalize('[3, 4]')) AS unit;
