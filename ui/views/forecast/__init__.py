"""Views of the forecast: the dashboard's Tomorrow section."""
