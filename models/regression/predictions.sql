-- every rating prediction (candidate, user_id, item_id, prediction): the files under
-- evaluation.predictions ({name: path}, CSV or Parquet with user_id, item_id and
-- prediction; NaN counts as missing) and the rating baselines that are on (the models
-- tagged rating_baseline: bias); duplicates included; ids in the type labels compare them in
{%- set files = evaluation.predictions or {} %}
{%- set baselines = models_tagged('rating_baseline') %}
{%- if 'bias' in files and 'bias_baseline' in baselines %}
{{ raise_error("evaluation.predictions: 'bias' is the built-in rating baseline's name; rename the entry or leave 'bias' out of evaluation.baselines") }}
{%- endif %}
{%- if files or baselines %}

{% for name, path in files.items() %}
select
    {{ sql_string(name) }} as candidate,
    {{ input_id('user_id') }} as user_id,
    {{ input_id('item_id') }} as item_id,
    {{ number_or_null('prediction') }} as prediction
from {{ read_with_columns(path, ['user_id', 'item_id', 'prediction']) }} as prediction_file
{% if not loop.last or baselines %}union all{% endif %}
{%- endfor %}
{%- for model in baselines %}
select candidate, user_id, item_id, cast(prediction as double) as prediction
from {{ ref(model) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- else %}

-- no predictions file and no rating baseline: an empty relation of the same shape
{{ empty_relation({'candidate': 'varchar', 'user_id': none, 'item_id': none, 'prediction': 'double'}) }}
{%- endif %}
