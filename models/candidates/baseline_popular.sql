-- popular: the items with the most train interactions (ties by item_id), the same list for
-- every user less what they had in train
{{ config(tags=['baseline'], enabled=(evaluation.baselines is none or 'popular' in evaluation.baselines)) }}

{{ top_unseen_of_ranking(ref('item_popularity'), 'popularity_rank', 'n_interactions', 'popular') }}
