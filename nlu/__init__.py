"""CardCare's custom Rasa NLU components: tokenizer, language identification, entities."""
