-- one row per input file the build read once (labels, train, items, each candidate file):
-- role, name, path (as project.yml gives it, secrets masked), size_bytes, modified_at (UTC)
-- and blake2b, the hash of the file's bytes taken before the read
-- (evalhouse/evaluation/fingerprint.py; null when the project was only compiled). A build
-- fails when a file's size or modification time moved while it was read.
{{ config(materialized='table') }}
{%- set rows = evaluation.manifest or [] %}
{%- if rows %}

select
    role,
    name,
    path,
    cast(size_bytes as bigint) as size_bytes,
    cast(modified_at as timestamp) as modified_at,
    cast(blake2b as varchar) as blake2b
from (values
    {%- for row in rows %}
    ({{ sql_string(row.role) }}, {{ sql_string(row.name) }}, {{ sql_string(row.path) }}, {{ row.size_bytes }},
     {{ sql_string(row.modified_at) }}, {% if row.blake2b %}{{ sql_string(row.blake2b) }}{% else %}null{% endif %}){{ "," if not loop.last }}
    {%- endfor %}
) as manifest(role, name, path, size_bytes, modified_at, blake2b)
{%- else %}

-- no input file: the split of the seeds is evaluated
{{ empty_relation({'role': 'varchar', 'name': 'varchar', 'path': 'varchar', 'size_bytes': 'bigint',
                  'modified_at': 'timestamp', 'blake2b': 'varchar'}) }}
{%- endif %}
