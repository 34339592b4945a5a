"""How things look: folium web layers and printed-map styling. Never imports streamlit."""
