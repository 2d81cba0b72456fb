-- popular_recent: the items with the most interactions in the last recent_days days of
-- train (ties by all-time interactions, then item_id), less what each user had in train.
-- Left out when evaluation.train has no ts column (the checks say so in one line)
{{ config(tags=['baseline'], enabled=((evaluation.baselines is none or 'popular_recent' in evaluation.baselines)
                                      and train_has_ts() == 'true')) }}

{{ top_unseen_of_ranking(ref('item_popularity'), 'recent_rank', 'n_recent', 'popular_recent') }}
