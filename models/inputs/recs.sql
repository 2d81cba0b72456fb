-- the recommendations every metric reads (candidate, user_id, item_id, rank, score): one
-- row per (candidate, user_id, item_id) at its best rank; ranks are kept, not renumbered,
-- and a rank that is not a whole number becomes null (and fails the not_null test). A
-- view: the files are read where they are, and a duplicated key's copies are replaced by
-- its one row of recs_duplicates (so recs is unique by construction); macros/recs.sql

select candidate, user_id, item_id, rank, score
from {{ recs_rows() }} as recs_rows
