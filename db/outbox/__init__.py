"""The outbox: every message the app sends is a row first (`messages`), queued from plans (`plans`), claimed and
settled by the runner (`messages`), through the channels a site set up (`channels`) and within their limits
(`limits`); residents who asked for no more SMS (`opt_outs`), and the runner's own runs (`runs`)."""
