"""Sites and the people who run them: volunteers and accounts, sign-in with throttling of failed tries,
known devices and sign-in sessions."""
